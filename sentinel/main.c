// SPDX-License-Identifier: BSD-3-Clause
/*
 * vigil's entry point: command line, config loading, startup order, the event loop and exit codes.
 * Everything the process owns lives in one struct sn_daemon; main() keeps no state of its own.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "conf.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "version.h"

#define SN_DEFAULT_CONFIG "/etc/vigil/vigil.conf"

struct cli {
	const char *config;
	bool check;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vigil [--config FILE] [--check-config]\n"
		"       vigil --version | --help\n"
		"\n"
		"A Redis Sentinel 7.0 compatible failover watcher.\n"
		"\n"
		"  -c, --config FILE   configuration file (default " SN_DEFAULT_CONFIG ")\n"
		"  -t, --check-config  validate the configuration and exit (0 if fine, 2 if not)\n"
		"  -v, --version       print the version and exit\n"
		"  -h, --help          print this help and exit\n"
		"\n"
		"Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reopens the log file.\n");
}

/* Returns -1 to continue, or an exit code. */
static int parse_cli(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 't'},
		{"version", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	cli->config = SN_DEFAULT_CONFIG;
	cli->check = false;
	for (int c; (c = getopt_long(argc, argv, "c:tvh", opts, NULL)) != -1;) {
		switch (c) {
		case 'c':
			cli->config = optarg;
			break;
		case 't':
			cli->check = true;
			break;
		case 'v':
			printf("vigil %s (Redis Sentinel %s protocol)\n", VIGIL_VERSION,
			       VIGIL_REDIS_VERSION);
			return SN_EXIT_OK;
		case 'h':
			usage(stdout);
			return SN_EXIT_OK;
		default:
			usage(stderr);
			return SN_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigil: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return SN_EXIT_CONFIG;
	}
	return -1;
}

static int run(const struct cli *cli, struct sn_conf *conf)
{
	sn_log_set_level(conf->log_level);
	int rc = sn_log_open(conf->logfile);
	if (rc != 0) {
		fprintf(stderr, "vigil: cannot open logfile %s: %s\n", conf->logfile, strerror(-rc));
		sn_conf_free(conf);
		return SN_EXIT_CONFIG;
	}
	signal(SIGPIPE, SIG_IGN);
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	struct sn_daemon *d = malloc(sizeof(*d));
	if (loop == NULL || d == NULL) {
		sn_log(SN_LOG_WARNING, "event=fatal reason=\"cannot create the event loop\"");
		free(d);
		sn_conf_free(conf);
		return SN_EXIT_RUNTIME;
	}
	struct sn_err err;
	if (sn_daemon_init(d, loop, cli->config, conf, &err) != 0) {
		sn_log(SN_LOG_WARNING, "event=fatal reason=\"%s\"", err.msg);
		sn_daemon_free(d);
		free(d);
		ev_loop_destroy(loop);
		sn_log_close();
		return SN_EXIT_STATE;
	}
	ev_run(loop, 0);
	sn_daemon_free(d);
	free(d);
	ev_loop_destroy(loop);
	sn_log(SN_LOG_NOTICE, "event=stopped");
	sn_log_close();
	return SN_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli cli;
	int rc = parse_cli(argc, argv, &cli);
	if (rc >= 0)
		return rc;
	struct sn_conf conf;
	struct sn_err err;
	if (sn_conf_load_file(cli.config, &conf, &err) != 0) {
		fprintf(stderr, "vigil: %s\n", err.msg);
		return SN_EXIT_CONFIG;
	}
	if (cli.check) {
		printf("vigil: %s: configuration is valid (%zu primaries)\n", cli.config,
		       conf.group_count);
		sn_conf_free(&conf);
		return SN_EXIT_OK;
	}
	return run(&cli, &conf);
}
