/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the BPF programs and user space: events, map keys and
 * values, the per-library layout table and the stats counters.
 *
 * Only fixed-width types so that both sides agree on every offset; the
 * pinned maps are read by other tools and later runs, so changing a struct
 * here is an ABI change: bump TTBPF_MAP_ABI.
 */
#ifndef TTBPF_H
#define TTBPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TTBPF_MAP_ABI 8

#define TTBPF_MAX_LIBS 16 /* distinct libtt_metal.so inodes per run */
/* Default map sizes (--max-devices, --max-procs). A Galaxy host has 32
 * chips; mesh ids come from a per-process counter that grows with every
 * mesh opened, so rows of meshes long closed pile up: when a usage map is
 * full, rows that hold nothing are evicted to make room. */
#define TTBPF_MAX_DEVICES	  4096	    /* (device, kind) keys */
#define TTBPF_MAX_PROCS		  8192	    /* (pid, device, kind) keys */
#define TTBPF_DEFAULT_MAX_BUFFERS (1 << 18) /* 36 MiB of map; --max-buffers */
#define TTBPF_MAX_STACK_DEPTH	  32	    /* a power of two */
#define TTBPF_MAX_STACKS	  16384
#define TTBPF_COMM_LEN		  16
#define TTBPF_MAX_CHIPS		  64   /* bits of ttbpf_alloc.chips */
#define TTBPF_MAX_OWNERS	  8192 /* (pid, allocator) pairs */
#define TTBPF_INDEX_SLOTS	  64   /* buffers per index page */
#define TTBPF_NO_SLOT		  0xffffffffu
/* Index pages for a buffer map of @n entries: room for every owner's
 * partly used last page, and for slots left free between others. */
#define TTBPF_INDEX_PAGES(n) ((n) / TTBPF_INDEX_SLOTS * 2 + TTBPF_MAX_OWNERS)
/* Steps of the longest release walk: 4 per page, 2 per owner. */
#define TTBPF_INDEX_STEPS(n) \
	(TTBPF_INDEX_PAGES(n) * 4 + TTBPF_MAX_OWNERS * 2 + 1)

/* Mirrors enum class tt::tt_metal::BufferType (stable across all eras). */
enum ttbpf_buffer_type {
	TTBPF_DRAM = 0,
	TTBPF_L1 = 1,
	TTBPF_SYSTEM_MEMORY = 2,
	TTBPF_L1_SMALL = 3,
	TTBPF_TRACE = 4,
	TTBPF_NR_TYPES = 5,
};

/* What the Buffer's device_ pointer turned out to be. */
enum ttbpf_dev_kind {
	TTBPF_DEV_CHIP = 0,    /* a Device: id is the chip id */
	TTBPF_DEV_MESH = 1,    /* a MeshDevice: id is the mesh id */
	TTBPF_DEV_UNKNOWN = 2, /* vptr matched neither: id is -1 */
};

enum ttbpf_event_kind {
	TTBPF_EV_ALLOC = 1,
	TTBPF_EV_FREE = 2,
	TTBPF_EV_ALLOC_FAILED = 3,
	TTBPF_EV_BULK_FREE = 4,
	TTBPF_EV_EXIT = 5,
	TTBPF_EV_EXEC = 6, /* exec(): the old image's buffers released */
};

/* Which probe a program instance serves; packed into the attach cookie. */
enum ttbpf_probe_role {
	TTBPF_ROLE_ALLOC_ENTRY = 1,
	/* 2 was a return instruction of allocate_buffer */
	TTBPF_ROLE_FREE_ENTRY = 3,
	TTBPF_ROLE_BULK_FREE = 4,
	TTBPF_ROLE_THROW = 5,
};

/*
 * Attach cookie: which library (index into the libs map) and the probed
 * instruction's virtual address in that file. ip - vaddr gives the load
 * bias of this mapping, which turns file addresses (vtables) into runtime
 * addresses without reading /proc from BPF.
 */
#define TTBPF_COOKIE(lib, role, vaddr)                  \
	(((__u64)(lib) << 56) | ((__u64)(role) << 48) | \
	 ((__u64)(vaddr)&0xffffffffffffULL))
#define TTBPF_COOKIE_LIB(c)   ((__u32)((c) >> 56))
#define TTBPF_COOKIE_ROLE(c)  ((__u32)(((c) >> 48) & 0xff))
#define TTBPF_COOKIE_VADDR(c) ((c)&0xffffffffffffULL)

/* How the allocator receives its arguments in this era. */
enum ttbpf_call_form {
	TTBPF_CALL_MEMBER = 0,	/* this in rdi, Buffer* in rsi */
	TTBPF_CALL_FREE_FN = 1, /* Allocator& in rdi, Buffer* in rsi */
};

/*
 * Byte offsets of what the probes read, for one library. An offset of -1
 * means "not available". With impl_off >= 0 the Buffer holds a pointer to
 * a BufferImpl at that offset and the field offsets are relative to it
 * (the pimpl era); otherwise they are relative to the Buffer itself.
 */
struct ttbpf_layout {
	__s32 impl_off;
	__s32 device_off;
	__s32 size_off;
	__s32 type_off;
	__s32 address_off;
	__s32 page_size_off;
	__s32 device_id_off; /* int id_ in Device */
	__s32 mesh_id_off;   /* id in MeshDevice, -1 if unknown */
	__u32 call_form;     /* enum ttbpf_call_form */
	__u32 flags;	     /* TTBPF_LAYOUT_* */
	__u64 device_vtable; /* file vaddr of the Device vptr value, 0 = unknown */
	__u64 mesh_vtable; /* file vaddr of the MeshDevice vptr value, 0 = unknown */
	/*
	 * A MeshDevice's chips: *(mesh + mesh_hop) (mesh itself if -1) holds
	 * a std::vector at mesh_devs (begin, end) of mesh_dev_stride-byte
	 * elements, each an IDevice* at +0; with mesh_dev_local >= 0 an
	 * element only counts when the byte there is 1 (MaybeRemote's
	 * "local"). mesh_devs < 0: a mesh's chips are unknown.
	 */
	__s32 mesh_hop;
	__s32 mesh_devs;
	__s32 mesh_dev_stride;
	__s32 mesh_dev_local;
};

/* The allocator's destructor is probed (a bulk free): what its device
 * resolved to may be kept per allocator (buffer_index.h). */
#define TTBPF_LAYOUT_SEES_DTOR 1

struct ttbpf_lib {
	struct ttbpf_layout layout;
	__u64 dev; /* st_dev and st_ino of the traced file */
	__u64 ino;
};

/* A buffer seen allocated and not yet freed. */
struct ttbpf_alloc_key {
	__u32 pid; /* tgid */
	__u32 pad;
	__u64 buffer; /* Buffer* */
};

struct ttbpf_alloc {
	__u64 size;
	__u64 address;
	__u64 allocator; /* allocator this (or Allocator&) */
	__u64 ts_ns;	 /* bpf_ktime_get_ns() at allocation */
	__s32 device;
	__s32 stack_id; /* <0: no stack */
	__u32 tid;
	__u8 type;
	__u8 dev_kind;
	__u8 lib;
	__u8 pad;
	__u32 slot;	   /* in its allocator's index (kernel side only) */
	__s32 py_stack_id; /* py_stacks id (> 0), or TTBPF_PY_* (ttbpf_py.h) */
	/* Chips of a mesh buffer (bit = Device::id_), device = the lowest;
	 * 0 for a buffer on the one chip in device. */
	__u64 chips;
	/* Its allocator's generation when it was allocated: the buffer is
	 * held only while that is still the allocator's current one (see
	 * struct ttbpf_owner); otherwise a bulk free released it and the
	 * entry is stale, waiting to be reclaimed. */
	__u32 gen;
	__u32 pad2;
};

/*
 * One allocator of one process (map "owners"). A bulk free (device close)
 * ends the allocator's current generation: it subtracts the generation's
 * totals from the usage rows at once and starts the next one, so that it
 * costs what the allocator's index pages cost, not one map operation per
 * buffer. Buffers of ended generations are stale: every reader skips a
 * buffer map entry whose gen is not its owner's current one, or that has
 * no owner (ttbpf_alloc__held()).
 */
struct ttbpf_owner_key {
	__u32 pid;
	__u32 pad;
	__u64 allocator;
};

/* What one generation holds, and where all of it was counted. */
struct ttbpf_gen_bank {
	__u64 bytes[TTBPF_NR_TYPES];
	__u64 buffers[TTBPF_NR_TYPES];
	__u64 chips; /* as in struct ttbpf_alloc */
	__s32 device;
	__u32 dev_kind;
	__u32 id_state; /* TTBPF_GEN_ID_*: whether device..chips are known */
	__u32 pad;
};

#define TTBPF_GEN_ID_UNSET   0
#define TTBPF_GEN_ID_WRITING 1
#define TTBPF_GEN_ID_SET     2
/* Buffers of more than one device: its bulk free visits each buffer. */
#define TTBPF_GEN_ID_MIXED 3

/* Bits of ttbpf_owner.genword: the generation is the low 32. */
#define TTBPF_GEN(word)	    ((__u32)(word))
#define TTBPF_GEN_BUSY	    (1ULL << 32) /* one allocation or free in flight */
#define TTBPF_GEN_BUSY_MASK (0xffffULL << 32)
#define TTBPF_GEN_SEQ	    (1ULL << 48) /* counts entries: no ABA */

struct ttbpf_owner {
	__u64 genword;	 /* generation, in-flight count, entry sequence */
	__u32 npages;	 /* index pages 0..npages-1 may exist */
	__u32 hint;	 /* a page where a slot was last released */
	__u32 base;	 /* the current generation's first page */
	__u32 reclaimed; /* pages below this one are gone */
	/* Its first generation: unique, tells this owner from an earlier
	 * one of the same pid and allocator address in the reclaim queue. */
	__u32 tag;
	__u32 reclaiming;   /* a CPU is reclaiming its stale entries */
	__u32 queued;	    /* a record of it is in idx_retired */
	__u32 pad_q;	    /* keeps reclaim_left 8-aligned */
	__u64 reclaim_left; /* slots of page reclaimed still to look at */
	/* What the allocator's device resolved to (buffer_index.h). */
	__u64 dev_tag;
	__u64 chips;
	__s32 device;
	__u32 dev_kind;
	struct ttbpf_gen_bank bank[2]; /* by generation & 1 */
};

/*
 * The thread's last allocation, counted at the entry of allocate_buffer:
 * what a throw from inside that call needs to undo it. Per thread.
 */
struct ttbpf_pending {
	struct ttbpf_alloc a;
	__u64 buffer;
	__u64 sp;	   /* rsp at the entry: the return address's slot */
	__u64 ret;	   /* the return address in it, 0 if unreadable */
	__u64 peak_was[2]; /* device row, process row: peak before */
	__u64 peak_now[2]; /* ... and the value this allocation set */
	__u32 active;	   /* its frame may still be live */
	__u32 counted;	   /* PENDING_*: what a failure has to undo */
	/* A mesh buffer: peak_was and peak_now of each of its chips. */
	__u64 chip_peak_was[TTBPF_MAX_CHIPS][2];
	__u64 chip_peak_now[TTBPF_MAX_CHIPS][2];
};

/* One user stack, innermost frame first, zero-filled after the last. */
struct ttbpf_stack {
	__u64 ip[TTBPF_MAX_STACK_DEPTH];
	__u32 tgid; /* who recorded it first: evictable once it is gone */
	__u32 pad;
};

/* Usage of one device (chip or mesh) or of one process on one device. */
struct ttbpf_dev_key {
	__s32 device;
	__u32 dev_kind;
};

struct ttbpf_proc_key {
	__u32 pid;
	__s32 device;
	__u32 dev_kind;
	__u32 pad;
};

/* A process's argv as it was at its first traced allocation: NUL-separated,
 * @len bytes of it kept (the rest, if any, is cut). */
#define TTBPF_CMDLINE_LEN 256
struct ttbpf_cmdline {
	__u32 len;
	__u32 cut; /* the command line was longer than TTBPF_CMDLINE_LEN */
	char args[TTBPF_CMDLINE_LEN];
};

struct ttbpf_usage {
	__u64 bytes[TTBPF_NR_TYPES];
	__u64 buffers[TTBPF_NR_TYPES];
	__u64 peak[TTBPF_NR_TYPES]; /* high-water mark of bytes[] */
	__u64 allocs;
	__u64 frees;
	__u64 failed;
	__u64 first_ts_ns;
	__u64 last_ts_ns;
	char comm[TTBPF_COMM_LEN]; /* process rows only */
};

/* Counters in a per-CPU array, index = enum ttbpf_stat. */
enum ttbpf_stat {
	TTBPF_STAT_EVENTS_DROPPED = 0, /* ring buffer full */
	TTBPF_STAT_UNMATCHED_FREES,    /* freed, allocation not seen */
	TTBPF_STAT_ALLOC_FAILED,       /* allocate_buffer threw */
	TTBPF_STAT_ALLOCS_MAP_FULL, /* allocation not recorded: totals incomplete */
	TTBPF_STAT_PROCS_MAP_FULL,
	TTBPF_STAT_BAD_READS,	   /* a probe read failed */
	TTBPF_STAT_IMPLAUSIBLE,	   /* type out of range, size absurd */
	TTBPF_STAT_UNKNOWN_DEVICE, /* device vptr matched no known class */
	TTBPF_STAT_BULK_FREED,	   /* buffers released by bulk frees */
	TTBPF_STAT_EXIT_FREED,	   /* buffers released at process exit */
	TTBPF_STAT_ALLOCS,
	TTBPF_STAT_FREES,
	TTBPF_STAT_STACKS_LOST,	  /* stack map full: allocation has no stack */
	TTBPF_STAT_NOT_RECORDED,  /* no per-thread slot: totals incomplete */
	TTBPF_STAT_DEVS_MAP_FULL, /* allocation not recorded: no device row */
	TTBPF_STAT_ROWS_EVICTED,  /* idle usage rows dropped to make room */
	TTBPF_STAT_EXEC_FREED,	  /* buffers released at exec() */
	TTBPF_STAT_INHERITED_FREES, /* a forked child freed its parent's buffer */
	TTBPF_STAT_STACKS_EVICTED, /* stacks of processes gone, to make room */
	TTBPF_STAT_TREE_MAP_FULL, /* a forked process of the tree not followed */
	TTBPF_STAT_MESH_UNRESOLVED, /* a mesh's chips unreadable: row "mesh" */
	TTBPF_NR_STATS,
};

struct ttbpf_event {
	__u64 ts_ns;
	__u64 size;
	__u64 address;
	__u64 buffer;
	__u64 allocator;
	__u32 pid;
	__u32 tid;
	__s32 device;
	__s32 stack_id;
	__u32 count; /* bulk_free/exit: buffers released */
	__u8 kind;   /* enum ttbpf_event_kind */
	__u8 type;
	__u8 dev_kind;
	__u8 flags; /* TTBPF_EVF_* */
	char comm[TTBPF_COMM_LEN];
	__u32 parent_pid;  /* TTBPF_EVF_INHERITED: whose buffer it was */
	__s32 py_stack_id; /* as in struct ttbpf_alloc; TTBPF_PY_NONE if none */
	__u64 chips;	   /* as in struct ttbpf_alloc */
	__u32 parts; /* bulk_free/exit/exec: release parts sent before it */
	__u32 pad;
};

/*
 * What a bulk free, exit or exec released, per device row and buffer
 * type: sent on the ring buffer before the event it belongs to (same
 * pid and tid), one record per row touched, never one per buffer. A mesh
 * buffer's part names its chips; user space adds it to each of them.
 * Told apart from struct ttbpf_event by its size.
 */
struct ttbpf_release_part {
	__u64 id;    /* pid << 32 | tid of the releasing thread */
	__u64 chips; /* a mesh buffer's chips; 0: the one row device */
	__s32 device;
	__u32 dev_kind;
	__u64 bytes[TTBPF_NR_TYPES];
	__u64 buffers[TTBPF_NR_TYPES];
	__u64 ts_ns; /* its event's ts_ns: parts of a lost event are told apart */
};

#define TTBPF_EVF_IMPLAUSIBLE 0x1 /* fields failed a sanity check */
/* 0x2 was a failure detected at a return site: none are probed now. */
#define TTBPF_EVF_UNMATCHED  0x4  /* free of a buffer allocated untraced */
#define TTBPF_EVF_INHERITED  0x8  /* free of the parent's buffer after fork */
#define TTBPF_EVF_PARTS_LOST 0x10 /* release rows not all kept: map full */

/* Read-only settings the loader fills before load. */
struct ttbpf_config {
	__u32 target_pid; /* 0: every process */
	__u32 collect_stacks;
	__u32 follow_tree;    /* target_pid and every process it forks */
	__u32 keep_exit_rows; /* process rows outlive the process */
	__u64 max_plausible_size;
};

/* Written by the loader into the one-entry "meta" array. */
struct ttbpf_meta {
	__u32 abi; /* TTBPF_MAP_ABI */
	__u32 n_libs;
	__u64 start_ts_ns; /* CLOCK_MONOTONIC at attach, as bpf_ktime_get_ns */
	__u64 start_realtime_ns;
	__u32 loader_pid;
	__u32 max_buffers;
	__u32 collect_stacks;
	__u32 layout_warnings; /* fields from a fallback source */
	char lib_paths[TTBPF_MAX_LIBS][128];
};

#endif /* TTBPF_H */
