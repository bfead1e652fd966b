// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// AllocationClient (alloc_client.hpp). Empty unless -DTTSIM_ALLOC_CLIENT.
#ifdef TTSIM_ALLOC_CLIENT

#include "alloc_client.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tt::tt_metal
{

static const char default_socket[] = "/tmp/tt_allocation_server.sock";

static bool env_enabled()
{
	const char *v = std::getenv("TT_ALLOC_TRACKING_ENABLED");

	return v && std::strcmp(v, "1") == 0;
}

bool AllocationClient::is_enabled()
{
	/* Read once: the disabled cost is this load and a branch. */
	static const bool enabled = env_enabled();

	return enabled;
}

AllocationClient &AllocationClient::instance()
{
	/* Never destroyed: a report from another static destructor at exit
	 * must not find a closed mutex; the kernel closes the socket. */
	static AllocationClient *client = new AllocationClient();

	return *client;
}

int AllocationClient::connect_locked()
{
	const char *path = std::getenv("TT_ALLOC_SERVER_SOCKET");
	struct sockaddr_un addr;
	size_t len;
	int fd, flags, err;
	int sndbuf = 1 << 20;

	if (!path || !*path)
		path = default_socket;
	len = std::strlen(path);
	if (len >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	std::memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	std::memcpy(addr.sun_path, path, len + 1);

	/* Non-blocking connect: a server whose backlog is full fails the
	 * connect at once instead of stalling the allocator. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		goto cleanup;
	}
	/* Blocking sends from here on, as the reporter settled on: with
	 * MSG_DONTWAIT a burst that fills the socket loses messages. A large
	 * send buffer makes blocking rare. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		err = -errno;
		goto cleanup;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	fd_ = fd;
	return 0;

cleanup:
	close(fd);
	return err;
}

void AllocationClient::send(AllocMessage *msg)
{
	const char *p = reinterpret_cast<const char *>(msg);
	size_t left = sizeof(*msg);
	ssize_t n;
	using std::chrono::nanoseconds;

	std::lock_guard<std::mutex> lock(mutex_);
	if (given_up_)
		return;
	/* Lazily on first use; a server that is down is never retried, so
	 * tracking without a server costs no system call per event. */
	if (fd_ < 0 && connect_locked() < 0) {
		given_up_ = true;
		return;
	}
	/* Per message, as the reporter does: a forked child reports its own
	 * pid (getpid() is not cached by glibc). */
	msg->process_id = getpid();
	auto now = std::chrono::system_clock::now().time_since_epoch();
	msg->timestamp = std::chrono::duration_cast<nanoseconds>(now).count();
	while (left > 0) {
		/* MSG_NOSIGNAL: a server that goes away must not kill the
		 * application with SIGPIPE. */
		n = ::send(fd_, p, left, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd_);
			fd_ = -1;
			given_up_ = true;
			return;
		}
		p += n;
		left -= (size_t)n;
	}
}

void AllocationClient::report_allocation(int device_id, uint64_t size,
					 uint8_t buffer_type, uint64_t address)
{
	AllocMessage msg;

	std::memset(&msg, 0, sizeof(msg));
	msg.type = TT_ALLOC_MSG_ALLOC;
	msg.device_id = device_id;
	msg.size = size;
	msg.buffer_type = buffer_type;
	msg.buffer_id = address;
	instance().send(&msg);
}

void AllocationClient::report_deallocation(int device_id, uint64_t address)
{
	AllocMessage msg;

	std::memset(&msg, 0, sizeof(msg));
	msg.type = TT_ALLOC_MSG_FREE;
	msg.device_id = device_id;
	msg.buffer_id = address;
	instance().send(&msg);
}

} // namespace tt::tt_metal

#endif // TTSIM_ALLOC_CLIENT
