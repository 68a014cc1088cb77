# cmake -DMCU=avr|cortex_m4 -DELF=<file> -DSIZE=<size tool> -DJSON=<out.json> [-DQEMU=..|-DSIMAVR=..] -P run_mcu_golden.cmake
# Runs a golden-vector program under its emulator (with a timeout, so a hung program fails),
# checks the last line is `PASS ...`, parses the counts, writes the budget report JSON and
# asserts the budgets (AVR: 32 KB flash, 2 KB SRAM with >= 25% left for the stack, a control
# step <= 240,000 cycles = 15 ms at 16 MHz).
include(${CMAKE_CURRENT_LIST_DIR}/mcu_common.cmake)
if(MCU STREQUAL "avr")
  set(cmd ${SIMAVR} -m atmega328p -f 16000000 ${ELF})
else()
  set(cmd ${QEMU} -M mps2-an386 -nographic -semihosting-config enable=on,target=native -icount shift=0 -kernel ${ELF})
endif()
tw_emulate(all ${MCU} "avr_gdb_init|crashed|FAULT exception" ${cmd})
set(rc ${all_rc})
if(NOT all MATCHES "(PASS|FAIL) steps=[^\n]*")
  message(FATAL_ERROR "${MCU}: no PASS/FAIL line (exit ${rc}): hung or crashed?")
endif()
set(line "${CMAKE_MATCH_0}")
if(NOT line MATCHES "^PASS")
  message(FATAL_ERROR "${MCU}: golden vectors do not match bit for bit: ${line}")
endif()
foreach(k steps policy_steps mismatches macs per_step_mean per_step_max per_any_step_max per_inference_mean per_inference_max per_mac stack_peak_bytes)
  string(REGEX MATCH " ${k}=([0-9.]+)" _ "${line}")
  set(${k} "${CMAKE_MATCH_1}")
endforeach()
string(REGEX MATCH " unit=([a-z]+)" _ "${line}")
set(unit "${CMAKE_MATCH_1}")
tw_elf_sections(${SIZE} ${ELF} sec)
math(EXPR flash "${sec_text} + ${sec_data} + ${sec_rodata}")
math(EXPR sram_static "${sec_data} + ${sec_bss}")
math(EXPR sram_total "${sram_static} + ${stack_peak_bytes}")
set(fails "")
if(MCU STREQUAL "avr")
  math(EXPR us_mean "${per_step_mean} / 16")
  math(EXPR us_max "${per_step_max} / 16")
  math(EXPR us_inf "${per_inference_mean} / 16")
  math(EXPR sram_free_pct "100 * (2048 - ${sram_total}) / 2048")
  math(EXPR static_free_pct "100 * (2048 - ${sram_static}) / 2048")
  file(WRITE ${JSON} "{\"target\":\"atmega328p\",\"clock_hz\":16000000,\"steps\":${steps},\"policy_steps\":${policy_steps},\"macs\":${macs},"
    "\"flash_bytes\":${flash},\"flash_limit\":32768,\"sram_static_bytes\":${sram_static},\"stack_peak_bytes\":${stack_peak_bytes},"
    "\"sram_total_bytes\":${sram_total},\"sram_limit\":2048,\"sram_left_for_stack_pct\":${static_free_pct},\"sram_free_after_peak_pct\":${sram_free_pct},"
    "\"cycles_per_inference\":${per_inference_mean},\"cycles_per_inference_max\":${per_inference_max},\"cycles_per_step\":${per_step_mean},"
    "\"cycles_per_step_max\":${per_step_max},\"cycles_per_any_step_max\":${per_any_step_max},\"us_per_step_at_16mhz\":${us_mean},"
    "\"us_per_step_max_at_16mhz\":${us_max},\"us_per_inference_at_16mhz\":${us_inf},\"cycles_per_mac\":${per_mac},\"step_budget_cycles\":240000}\n")
  if(flash GREATER 32768)
    list(APPEND fails "flash ${flash} B > 32768 B")
  endif()
  if(sram_static GREATER 1536)
    list(APPEND fails "static SRAM ${sram_static} B leaves < 25% of 2048 B for the stack")
  endif()
  if(sram_total GREATER 2048)
    list(APPEND fails "static SRAM + stack peak ${sram_total} B > 2048 B")
  endif()
  if(per_step_max GREATER 240000 OR per_any_step_max GREATER 240000)
    list(APPEND fails "control step ${per_step_max} cycles > 240000 (15 ms at 16 MHz)")
  endif()
else()
  file(WRITE ${JSON} "{\"target\":\"cortex_m4\",\"emulator\":\"qemu-system-arm -M mps2-an386 -icount shift=0\",\"steps\":${steps},\"policy_steps\":${policy_steps},"
    "\"macs\":${macs},\"flash_bytes\":${flash},\"sram_static_bytes\":${sram_static},\"stack_peak_bytes\":${stack_peak_bytes},"
    "\"instructions_per_inference\":${per_inference_mean},\"instructions_per_step\":${per_step_mean},\"instructions_per_step_max\":${per_step_max},"
    "\"instructions_per_any_step_max\":${per_any_step_max},\"instructions_per_mac\":${per_mac},\"resolution_instructions\":40}\n")
endif()
file(READ ${JSON} j)
message("budget report ${JSON}:\n${j}")
if(fails)
  message(FATAL_ERROR "${MCU}: budget exceeded: ${fails}")
endif()
