/* The default model's .tflite bytes in flash, 16-byte aligned (FlatBuffers buffers are 16-byte
   aligned within the file, so int32 biases stay 4-byte aligned in memory). TW_MODEL_TFLITE is
   the file's path, passed by the build. */
  .section .rodata.tw_model_tflite, "a"
  .balign 16
  .global tw_model_tflite
  .global tw_model_tflite_end
tw_model_tflite:
  .incbin TW_MODEL_TFLITE
tw_model_tflite_end:
  .byte 0
