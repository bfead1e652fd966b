/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pin directory, opened safely. /sys/fs/bpf is writable by every user,
 * so a root tool that pins there, reads pins from there or deletes them
 * must never follow a name another user could have planted: the path is
 * walked one component at a time without following symbolic links, every
 * directory on the way must be one only root (or we) can change, and the
 * pin directory is then used through the descriptor that was checked.
 */
#ifndef TTBPF_PIN_DIR_H
#define TTBPF_PIN_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Highest link pin number + 1: links are pinned as links/0 .. links/N-1. */
#define PIN_DIR_MAX_LINKS 512

enum pin_dir_use {
	PIN_DIR_READ,  /* readers: trusted owner, not writable by others */
	PIN_DIR_WRITE, /* --pin, --unpin: trusted owner, mode exactly 0700 */
};

struct pin_dir {
	int parent_fd; /* the checked directory that holds it */
	int fd;	       /* the pin directory itself */
	bool created;  /* by this open: remove it again on failure */
	char leaf[256];
	const char *path; /* as given, for messages */
};

/*
 * Pure checks, on what fstat() said. Trusted owners are root and @me.
 * 0, or -EPERM with a one-line cause and hint in @err.
 */
int pin_dir__check_stat(const struct stat *st, uid_t me, enum pin_dir_use use,
			const char *path, char *err, size_t errlen);
/* A directory on the way: trusted owner, and sticky if others may write. */
int pin_dir__check_parent(const struct stat *st, uid_t me, const char *path,
			  char *err, size_t errlen);
/* "a symbolic link", "a directory", ... for messages. */
const char *pin_dir__kind(mode_t mode);
/* "0".."max-1" in decimal without leading zeros: a link pin's name. */
bool pin_dir__is_link_name(const char *name, unsigned int max);

/*
 * Open the directory at absolute @path for @use. With @create it is made
 * with mkdir(), or else what is there must pass the checks (never adopted
 * otherwise); without, a missing directory gives -ENOENT. Negative errno
 * with a one-line cause in @err on failure; @d is then closed.
 */
int pin_dir__open(struct pin_dir *d, const char *path, enum pin_dir_use use,
		  bool create, char *err, size_t errlen);
void pin_dir__close(struct pin_dir *d);
/* rmdir the (empty) pin directory through its parent's descriptor. */
int pin_dir__rmdir(struct pin_dir *d);

/* bpf_obj_get() and bpf_obj_pin() of @name in @dirfd, through the checked
 * directory's descriptor: fd or -errno. */
int pin_dir__obj_get(int dirfd, const char *name);
int pin_dir__obj_pin(int dirfd, const char *name, int fd);

/* What a pin directory holds, counted by pin_dir__scan(). */
struct pin_scan {
	size_t maps;
	size_t links;
	bool links_dir;
};

/*
 * Check that @dirfd holds only ttbpf's own pins: maps named in @maps (as
 * pinned files) and a links/ directory of numbered link pins. Anything
 * else gives -EEXIST naming it: ttbpf will not touch it.
 */
int pin_dir__scan(int dirfd, const char *path, const char *const *maps,
		  size_t n_maps, struct pin_scan *out, char *err,
		  size_t errlen);

/*
 * Remove the pins a successful pin_dir__scan() accepted, links first so no
 * probe runs against half-removed maps. Before unlinking each link pin its
 * kernel link id goes to @ids (up to @max) so the caller can check that the
 * probes are really gone. Returns the number of pins removed or -errno.
 */
int pin_dir__remove_pins(int dirfd, const char *const *maps, size_t n_maps,
			 unsigned int *ids, size_t max, size_t *n_ids);

/* How many of the links @ids still exist in the kernel (held open). */
size_t pin_dir__links_alive(const unsigned int *ids, size_t n);

#endif /* TTBPF_PIN_DIR_H */
