// The one allocation counter of the test suite (see alloc_counter.h).
#include "tests/alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <new>

using std::size_t;

// Counts only while g_counting is set. operator new is replaced as usual;
// Eigen allocates through std::malloc, so on glibc malloc and friends are
// interposed too (forwarding to glibc's own entry points).
namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
void note_allocation() {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define TW_SANITIZED_MALLOC 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TW_SANITIZED_MALLOC 1
#endif

#if defined(__GLIBC__) && !defined(TW_SANITIZED_MALLOC)  // sanitizers own malloc
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);

void* malloc(size_t n) noexcept {
  note_allocation();
  return __libc_malloc(n);
}
void* calloc(size_t k, size_t n) noexcept {
  note_allocation();
  return __libc_calloc(k, n);
}
void* realloc(void* p, size_t n) noexcept {
  note_allocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t align, size_t n) noexcept {
  note_allocation();
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) noexcept {
  note_allocation();
  *out = __libc_memalign(align, n);
  return *out ? 0 : ENOMEM;
}
void free(void* p) noexcept { __libc_free(p); }
}
constexpr bool kCountsMalloc = true;
// operator new allocates here, uncounted: one request, one count.
void* raw_malloc(size_t n) { return __libc_malloc(n); }
void* raw_aligned(size_t align, size_t n) { return __libc_memalign(align, n); }
#else
constexpr bool kCountsMalloc = false;
void* raw_malloc(size_t n) { return std::malloc(n); }
void* raw_aligned(size_t align, size_t n) { return std::aligned_alloc(align, n); }
#endif

void* operator new(size_t n) {
  note_allocation();
  if (void* p = raw_malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, std::align_val_t a) {
  note_allocation();
  const size_t al = static_cast<size_t>(a);
  if (void* p = raw_aligned(al, (n + al - 1) / al * al)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace tinywalk::test {
void start_counting_allocations() {
  g_allocations = 0;
  g_counting = true;
}
long stop_counting_allocations() {
  g_counting = false;
  return g_allocations.load();
}
bool counts_malloc() { return kCountsMalloc; }
}  // namespace tinywalk::test
