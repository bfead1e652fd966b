// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// ttsim-run: runs one workload scenario on the stand-in TT-Metal and writes
// the allocator's own books as ground truth. Protocol for tracers:
//   --wait-go    print "ready pid=N", do nothing until SIGUSR1
//   (scenario)   then write --truth, print "done"
//   --hold-after print "holding", wait for SIGUSR1/SIGTERM/SIGINT (always
//                for the hold scenario), then close the devices (bulk free)
//                and exit 0; or, with --exec-after CMD, exec `sh -c CMD`
//                with every buffer still allocated (a launcher handing
//                over to a server).
// The fork scenario's child prints "fork: child pid=N freed K inherited
// buffers" before it exits.
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "run.hpp"

std::atomic<bool> stop_requested{ false };

static const char usage[] =
	"USAGE: ttsim-run [--scenario NAME] [--seed N] [--count N]\n"
	"                 [--devices N] [--threads T] [--rate OPS]\n"
	"                 [--duration-ms MS] [--truth PATH] [--wait-go]\n"
	"                 [--hold-after] [--buffer-size BYTES]\n"
	"                 [--first-device ID] [--exec-after CMD]\n"
	"                 [--rounds N]\n"
	"\n"
	"Scenarios: steady leak oom close mesh remesh threads burst hold "
	"fork reopen.\n"
	"Run with LD_LIBRARY_PATH pointing at one libtt_metal.so variant.\n"
	"\n"
	"EXAMPLES:\n"
	"    ttsim-run --scenario steady --devices 2 --count 400 --truth "
	"t.json\n"
	"    ttsim-run --scenario hold --wait-go   # SIGUSR1 to start, again "
	"to end\n";

/* Signals are taken by one thread with sigwait(); the rest wait here. */
static struct {
	std::mutex lock;
	std::condition_variable cv;
	unsigned usr1;
	bool term;
} sig;

static void signal_thread(sigset_t set)
{
	for (;;) {
		int s;
		if (sigwait(&set, &s))
			continue;
		std::lock_guard<std::mutex> g(sig.lock);
		if (s == SIGUSR1) {
			sig.usr1++;
		} else {
			sig.term = true;
			stop_requested = true;
		}
		sig.cv.notify_all();
	}
}

/* true: SIGUSR1 number `n` arrived; false: SIGTERM/SIGINT. */
static bool wait_usr1(unsigned n)
{
	std::unique_lock<std::mutex> g(sig.lock);
	sig.cv.wait(g, [&] { return sig.usr1 >= n || sig.term; });
	return sig.usr1 >= n;
}

static int parse_u64(const char *name, const char *s, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-' || *s == '+')
		goto bad;
	*out = strtoull(s, &end, 10);
	if (errno || *end || *out < min || *out > max)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "ttsim-run: invalid %s '%s' (expected %llu..%llu)\n",
		name, s, (unsigned long long)min, (unsigned long long)max);
	return -EINVAL;
}

static int parse_args(int argc, char **argv, env *e)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, nullptr, 's' },
		{ "seed", required_argument, nullptr, 'S' },
		{ "count", required_argument, nullptr, 'c' },
		{ "devices", required_argument, nullptr, 'd' },
		{ "threads", required_argument, nullptr, 't' },
		{ "rate", required_argument, nullptr, 'r' },
		{ "duration-ms", required_argument, nullptr, 'D' },
		{ "truth", required_argument, nullptr, 'T' },
		{ "wait-go", no_argument, nullptr, 'w' },
		{ "hold-after", no_argument, nullptr, 'H' },
		{ "buffer-size", required_argument, nullptr, 'B' },
		{ "first-device", required_argument, nullptr, 'F' },
		{ "exec-after", required_argument, nullptr, 'X' },
		{ "rounds", required_argument, nullptr, 'R' },
		{ "help", no_argument, nullptr, 'h' },
		{},
	};
	int c, err = 0;

	while (!err &&
	       (c = getopt_long(argc, argv, "h", opts, nullptr)) != -1) {
		switch (c) {
		case 's':
			e->scenario = optarg;
			if (!scenario_known(e->scenario)) {
				fprintf(stderr,
					"ttsim-run: unknown scenario '%s'\n",
					optarg);
				err = -EINVAL;
			}
			break;
		case 'S':
			err = parse_u64("seed", optarg, 0, UINT64_MAX,
					&e->seed);
			break;
		case 'c':
			err = parse_u64("count", optarg, 1, UINT64_MAX,
					&e->count);
			e->count_set = true;
			break;
		case 'd':
			err = parse_u64("devices", optarg, 1, 8192,
					&e->devices);
			break;
		case 't':
			err = parse_u64("threads", optarg, 1, 256, &e->threads);
			break;
		case 'r':
			err = parse_u64("rate", optarg, 0, UINT64_MAX,
					&e->rate);
			break;
		case 'D':
			err = parse_u64("duration-ms", optarg, 0,
					UINT64_MAX / 1000000, &e->duration_ms);
			break;
		case 'T':
			e->truth = optarg;
			if (e->truth.empty())
				err = -EINVAL;
			break;
		case 'w':
			e->wait_go = true;
			break;
		case 'H':
			e->hold_after = true;
			break;
		case 'B':
			err = parse_u64("buffer-size", optarg, 32, 1ull << 30,
					&e->buffer_size);
			break;
		case 'F':
			err = parse_u64("first-device", optarg, 0, 1 << 20,
					&e->first_device);
			break;
		case 'R':
			err = parse_u64("rounds", optarg, 2, 1000000,
					&e->rounds);
			break;
		case 'X':
			e->exec_after = optarg;
			if (e->exec_after.empty())
				err = -EINVAL;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			err = -EINVAL;
		}
	}
	if (!err && optind < argc) {
		fprintf(stderr, "ttsim-run: unexpected argument '%s'\n",
			argv[optind]);
		err = -EINVAL;
	}
	if (err)
		fputs(usage, stderr);
	return err;
}

int main(int argc, char **argv)
{
	env e;
	run_ctx ctx;
	sigset_t set;
	int err;

	setvbuf(stdout, nullptr, _IOLBF, 0);
	if (parse_args(argc, argv, &e))
		return 2;

	/* Block before any thread starts: only the signal thread gets them. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, nullptr);
	std::thread(signal_thread, set).detach();

	unsigned usr1 = 0;
	if (e.wait_go) {
		printf("ready pid=%d\n", (int)getpid());
		fflush(stdout);
		if (!wait_usr1(++usr1)) {
			fprintf(stderr, "ttsim-run: stopped before go\n");
			return 1;
		}
	}

	ctx.opt = &e;
	ctx.rng.seed(e.seed);
	try {
		err = scenario_run(&ctx);
	} catch (const std::exception &ex) {
		fprintf(stderr, "ttsim-run: %s: %s\n", e.scenario.c_str(),
			ex.what());
		return 1;
	}
	if (err)
		return 1;

	if (!e.truth.empty()) {
		err = truth_write(e.truth, truth_json(e.scenario));
		if (err) {
			fprintf(stderr, "ttsim-run: writing %s: %s\n",
				e.truth.c_str(), strerror(-err));
			return 1;
		}
	}
	printf("done\n");
	fflush(stdout);

	if (e.hold_after || e.scenario == "hold") {
		printf("holding\n");
		fflush(stdout);
		wait_usr1(++usr1);
	}
	if (!e.exec_after.empty()) {
		printf("exec %s\n", e.exec_after.c_str());
		fflush(stdout);
		/* Blocked signals survive exec: hand over a plain process. */
		pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
		execl("/bin/sh", "sh", "-c", e.exec_after.c_str(),
		      (char *)nullptr);
		fprintf(stderr, "ttsim-run: exec /bin/sh: %s\n",
			strerror(errno));
		return 1;
	}
	scenario_teardown(&ctx);
	return 0;
}
