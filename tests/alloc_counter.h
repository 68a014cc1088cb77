// Counts heap allocations in the test binary that links tests/alloc_counter.cpp,
// for the "no heap in the hot path" checks: replacement operator new (plain,
// array, aligned) and, on glibc without sanitizers, malloc, calloc, realloc,
// aligned_alloc and posix_memalign too (Eigen allocates through malloc).
#pragma once

namespace tinywalk::test {

void start_counting_allocations();  // resets the count and starts counting
long stop_counting_allocations();   // stops and returns the count since start
bool counts_malloc();               // false when sanitizers own malloc (only operator new is seen)

}  // namespace tinywalk::test
