# cmake -DIN=<file> -DOUT=<file> -P fw_cxx11_shim.cmake
# Copies a robot_fw source for avr-g++ 5.4, which has no C++17 nested namespace definitions
# (GCC 6+; -std=gnu++1z on GCC 5 does not add them): `namespace tinywalk::fw {` becomes
# `namespace tinywalk { namespace fw {` and its closing line `}  // namespace tinywalk::fw`
# becomes `} }`. Everything else is copied byte for byte; a file already in C++11 form is
# unchanged.
file(READ "${IN}" text)
string(REGEX REPLACE "(^|\n)namespace tinywalk::fw {" "\\1namespace tinywalk { namespace fw {" text "${text}")
string(REGEX REPLACE "(^|\n)}  // namespace tinywalk::fw" "\\1} }  // namespace tinywalk::fw" text "${text}")
file(WRITE "${OUT}.tmp" "${text}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
