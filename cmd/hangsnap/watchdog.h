/*
 * hangsnap --timeout SECS -- CMD: run CMD and, should it outlive SECS,
 * snapshot it and everything under it, kill them and analyze the cores.
 */
#ifndef HS_CMD_HANGSNAP_WATCHDOG_H
#define HS_CMD_HANGSNAP_WATCHDOG_H

#include "cmd/hangsnap/hangsnap.h"

/*
 * Runs the watchdog for opts (opts->watchdog set, opts->command given).
 * Returns hangsnap's exit status: CMD's own, 128+N when signal N killed it,
 * EXIT_TIMED_OUT, EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND, EXIT_USAGE or
 * EXIT_INTERNAL.
 */
int watchdog_run(const struct options *opts);

#endif
