// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// Ground truth: the stand-in allocator's own books as JSON, written
// atomically (temporary file, then rename) so a reader never sees half.
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <unistd.h>

#include "run.hpp"

static void add(std::string *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(std::string *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*s += buf;
}

std::string truth_json(const std::string &scenario)
{
	std::vector<ttsim::device_books> devices;
	std::vector<ttsim::live_buffer> buffers;
	std::string s;

	ttsim::books(&devices, &buffers);
	add(&s, "{\"pid\":%d,\"variant\":\"%s\",\"scenario\":\"%s\",",
	    (int)getpid(), ttsim::variant(), scenario.c_str());
	s += "\"devices\":[";
	for (size_t i = 0; i < devices.size(); i++) {
		const ttsim::device_books &d = devices[i];
		add(&s, "%s{\"device\":%d,\"kind\":\"%s\",\"usage\":{",
		    i ? "," : "", d.device, d.mesh ? "mesh" : "chip");
		for (int t = 0; t < ttsim::MEM_NUM_TYPES; t++) {
			const ttsim::usage &u = d.u[t];
			add(&s,
			    "%s\"%s\":{\"bytes\":%" PRIu64
			    ",\"aligned_bytes\":%" PRIu64
			    ",\"buffers\":%" PRIu64 ",\"peak_bytes\":%" PRIu64
			    ",\"allocs\":%" PRIu64 ",\"frees\":%" PRIu64
			    ",\"failures\":%" PRIu64 "}",
			    t ? "," : "", ttsim::type_name(t), u.bytes,
			    u.aligned_bytes, u.buffers, u.peak_bytes, u.allocs,
			    u.frees, u.failures);
		}
		s += "}}";
	}
	s += "],\"buffers\":[";
	for (size_t i = 0; i < buffers.size(); i++) {
		const ttsim::live_buffer &b = buffers[i];
		add(&s,
		    "%s{\"buffer\":%" PRIu64 ",\"address\":%" PRIu64
		    ",\"size\":%" PRIu64 ",\"aligned_size\":%" PRIu64
		    ",\"type\":\"%s\",\"device\":%d,\"kind\":\"%s\","
		    "\"chips\":[",
		    i ? "," : "", b.buffer, b.address, b.size, b.aligned_size,
		    ttsim::type_name(b.type), b.device,
		    b.mesh ? "mesh" : "chip");
		for (int c = 0, n = 0; c < 64; c++)
			if (b.chips >> c & 1)
				add(&s, "%s%d", n++ ? "," : "", c);
		s += "]}";
	}
	s += "]}\n";
	return s;
}

int truth_write(const std::string &path, const std::string &json)
{
	std::string tmp = path + ".tmp." + std::to_string(getpid());
	int err = 0;
	FILE *f = fopen(tmp.c_str(), "w");
	if (!f)
		return -errno;
	if (fwrite(json.data(), 1, json.size(), f) != json.size())
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp.c_str(), path.c_str()))
		err = -errno;
	if (err)
		unlink(tmp.c_str());
	return err;
}
