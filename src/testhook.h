/* Crash hooks for the crash-safety tests, compiled only into the check build
 * (-DOVERTURE_TEST_HOOKS). Each call marks the end of one step of the pipeline. With
 * OVERTURE_CRASH_AFTER=N the process kills itself (SIGKILL, like a power cut) at the
 * Nth step; OVERTURE_STEP_LOG=FILE appends each step's name to FILE first. */
#ifndef OVERTURE_TESTHOOK_H
#define OVERTURE_TESTHOOK_H

#ifdef OVERTURE_TEST_HOOKS
void testhook_step(const char *name);
#else
#define testhook_step(name) ((void)0)
#endif

#endif
