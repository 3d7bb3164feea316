// SPDX-License-Identifier: MIT
/*
 * hwstats-record - drain every CPU's hwstats channel into .hws files.
 *
 * The parts are in rec.h; here only the exit codes are made.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "rec.h"

/*
 * SIGINT and SIGTERM reach this handler whenever the main loop is not
 * waiting for them (it takes them with sigtimedwait()): the first asks for
 * a clean stop, a second one leaves at once, wherever the recorder is,
 * even in a write that cannot finish. Every chunk written so far stays
 * readable.
 */
static void rec_on_late_signal(int sig)
{
	(void)sig;
	if (++rec_stop_signals > 1)
		_exit(REC_EXIT_INCOMPLETE);
}

static int rec_exit_code(const struct rec *r, int ret)
{
	if (!ret)
		return r->incomplete ? REC_EXIT_INCOMPLETE : REC_EXIT_OK;
	switch (r->stage) {
	case REC_STAGE_SESSION:
		return REC_EXIT_SETUP;
	case REC_STAGE_OUTPUT:
	case REC_STAGE_CAPTURE:
	default:
		return REC_EXIT_OUTPUT;
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = rec_on_late_signal,
				 .sa_flags = SA_RESTART };
	struct rec r;
	int ret;

	hwsdev_prog = "hwstats-record";
	rec_init(&r);
	if (rec_parse_args(argc, argv, &r.o))
		return REC_EXIT_USAGE;
	if (r.o.help)
		return REC_EXIT_OK;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = rec_setup(&r);
	if (ret) {
		rec_free(&r);
		return REC_EXIT_SETUP;
	}
	ret = rec_select_sources(&r);
	if (ret) {
		rec_free(&r);
		return ret == -ENOMEM ? REC_EXIT_SETUP : REC_EXIT_USAGE;
	}
	ret = rec_run(&r);
	rec_free(&r);
	return rec_exit_code(&r, ret);
}
