// Helpers shared by the test suites.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/error.h"

namespace tinywalk::test {

// The message of the InputError that f throws ("" if it throws none).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace tinywalk::test

// Expects `s` to occur in the string `err`, printing both if not.
#define EXPECT_HAS(err, s) EXPECT_NE((err).find(s), std::string::npos) << "'" << (s) << "' not in: " << (err)
