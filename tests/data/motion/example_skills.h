// Hand-written example in the layout of OpenCat's InstinctBittle.h (tinywalk
// test data, not taken from the firmware). Three arrays: a posture, a
// behaviour and a 3-frame gait.
#define BITTLE
//number of skills: 3

/* posture: 1 frame, 16 joint angles */
const int8_t tstSit[] PROGMEM = {
1, 0, -20, 1,
   0,   0, -40,   0,   0,   0,   0,   0,  20,  20,  70,  70, -30, -30,  55,  55,
};
const int8_t tstBow[] PROGMEM = {
-2, 0, 0, 1,
 0, 0, 0,
   0,   0,   0,   0,   0,   0,   0,   0,  30,  30,  30,  30,  30,  30,  30,  30,	 8, 0, 0, 0,
   0,   0,   0,   0,   0,   0,   0,   0, -20, -20,  60,  60,  70,  70,  10,  10,	 8, 0, 0, 0,
};
const int8_t tstWalk[] PROGMEM = {
  3,   0,  -3,   1,
  31,  28,  36,  24,  -5,  17,  12,   9,   // frame 0
  40,  19,  27, -12,   3,  22,   6,  14,
  /* frame 2 */  22,  35,  45,  30,  10,   0,  -8,  20,
};
  const char* skillNameWithType[]={"tstSitI","tstBowI","tstWalkN",};
#if !defined(MAIN_SKETCH)
  const int8_t* progmemPointer[] = {tstSit, tstBow, tstWalk, };
#endif
