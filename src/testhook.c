/* The step counter behind testhook_step(); empty outside the check build. */
#include "testhook.h"

#ifdef OVERTURE_TEST_HOOKS
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

void testhook_step(const char *name)
{
	static long count;
	const char *log = getenv("OVERTURE_STEP_LOG");
	const char *limit = getenv("OVERTURE_CRASH_AFTER");
	count++;
	if (log) {
		FILE *f = fopen(log, "ae");
		if (f) {
			fprintf(f, "%ld %s\n", count, name);
			fclose(f);
		}
	}
	if (limit && count == atol(limit)) {
		fprintf(stderr, "testhook: crashing after step %ld (%s)\n", count, name);
		raise(SIGKILL);
	}
}
#else
typedef int testhook_unused; /* ISO C wants something in every file */
#endif
