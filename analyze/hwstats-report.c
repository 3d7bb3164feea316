// SPDX-License-Identifier: MIT
/*
 * hwstats-report - summarise hwstats traces. Everything but main() is in
 * the analysis library (cli.c), where the tests can reach it.
 */
#include <stdio.h>

#include "report.h"

int main(int argc, char **argv)
{
	/* A dump can be millions of lines: write in large blocks. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	return hwr_main(argc, argv, stdout, stderr);
}
