# Shared by cmake/run_mcu_golden.cmake and tests/mcu/run_nyboard_sim.cmake (cmake -P scripts).

# tw_emulate(<out-var> <label> <crash-regex> <command...>): runs an emulator command under a
# timeout (so a hung program fails instead of blocking), strips simavr's colour codes and the
# '.' it ends UART lines with, echoes the output, and fails if it matches <crash-regex>.
# Sets <out-var> to the cleaned output and <out-var>_rc to the exit status.
function(tw_emulate out_var label crash)
  set(cmd ${ARGN})
  find_program(TW_TIMEOUT_EXE timeout)
  if(TW_TIMEOUT_EXE)
    set(cmd ${TW_TIMEOUT_EXE} 110 ${cmd})
  endif()
  execute_process(COMMAND ${cmd} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 120)
  set(all "${out}\n${err}")
  string(REGEX REPLACE "\x1b\\[[0-9;]*m" "" all "${all}")
  string(REGEX REPLACE "\\.\n" "\n" all "${all}")
  message("${all}")
  if(all MATCHES "${crash}")
    message(FATAL_ERROR "${label}: the program crashed (see the emulator output above)")
  endif()
  set(${out_var} "${all}" PARENT_SCOPE)
  set(${out_var}_rc "${rc}" PARENT_SCOPE)
endfunction()

# tw_elf_sections(<size tool> <elf> <prefix>): sets <prefix>_text, _data, _bss, _rodata (bytes,
# 0 if absent) from `<size tool> -A <elf>`.
function(tw_elf_sections size elf prefix)
  execute_process(COMMAND ${size} -A ${elf} OUTPUT_VARIABLE sz RESULT_VARIABLE src)
  if(NOT src EQUAL 0)
    message(FATAL_ERROR "${size} -A ${elf} failed")
  endif()
  foreach(sec text data bss rodata)
    string(REGEX MATCH "\n\\.${sec} +([0-9]+)" _ "${sz}")
    set(v "${CMAKE_MATCH_1}")
    if(v STREQUAL "")
      set(v 0)
    endif()
    set(${prefix}_${sec} ${v} PARENT_SCOPE)
  endforeach()
endfunction()
