/*
 * /dev/cleave_fork: the fork primitive's ioctls (cleave_fork.h). Failures return -1 with errno
 * set to the CLEAVE_E_* code, the same codes the user-space twin returns.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cf.h"

int cf_port = CLEAVE_DEFAULT_PORT + 1;
module_param_named(port, cf_port, int, 0444);
MODULE_PARM_DESC(port, "TCP port of the page server (listens in the first preparer's netns)");
int cf_max_conns = 512;
module_param_named(max_connections, cf_max_conns, int, 0444);
MODULE_PARM_DESC(max_connections, "page server connections at most (more are closed at once)");
int cf_live_handles, cf_live_conns;
module_param_named(handles, cf_live_handles, int, 0444);
MODULE_PARM_DESC(handles, "snapshots held now (read-only)");
module_param_named(connections, cf_live_conns, int, 0444);
MODULE_PARM_DESC(connections, "page server connections open now (read-only)");

module_param_named(sessions, cf_live_sessions, int, 0444);
MODULE_PARM_DESC(sessions, "resume sessions open now (read-only)");
module_param_named(fault_batch, cf_fault_batch, int, 0644);
MODULE_PARM_DESC(fault_batch, "pages fetched per fault of a resumed child (the faulting one and read-ahead, 1..32)");

module_param_named(rdma, cf_rdma_on, bool, 0644);
MODULE_PARM_DESC(rdma, "pages travel by RDMA READ when both nodes have an RDMA device for the page connection's address (else TCP)");
module_param_named(rdma_bulk, cf_rdma_bulk, bool, 0644);
MODULE_PARM_DESC(rdma_bulk, "a resume's prefetch, eager fetch and stack fill read by RDMA too (0: over its TCP session, faults stay on RDMA)");
module_param_named(rdma_window, cf_rdma_window, int, 0644);
MODULE_PARM_DESC(rdma_window, "pages a resume keeps in flight in RDMA READs (1..4096)");
module_param_named(rdma_devices, cf_rdma_devices, int, 0444);
MODULE_PARM_DESC(rdma_devices, "RoCE devices the module uses (read-only)");
module_param_named(rdma_qps, cf_rdma_qps, int, 0444);
MODULE_PARM_DESC(rdma_qps, "RDMA queue pairs open now, seeds' and resumes' (read-only)");

static int rdma_pages_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&cf_rdma_pages));
}

static const struct kernel_param_ops rdma_pages_ops = { .get = rdma_pages_get };
module_param_cb(rdma_pages, &rdma_pages_ops, NULL, 0444);
MODULE_PARM_DESC(rdma_pages, "pages resumed children read by RDMA since load (read-only)");

static int rdma_pinned_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&cf_rdma_pinned));
}

static const struct kernel_param_ops rdma_pinned_ops = { .get = rdma_pinned_get };
module_param_cb(rdma_pinned, &rdma_pinned_ops, NULL, 0444);
MODULE_PARM_DESC(rdma_pinned, "seed pages held registered for RDMA reads (read-only)");

static int pages_held_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&cf_pages_held));
}

static const struct kernel_param_ops pages_held_ops = { .get = pages_held_get };
module_param_cb(pages_held, &pages_held_ops, NULL, 0444);
MODULE_PARM_DESC(pages_held, "fetched pages waiting for their fault in resume sessions (read-only)");

static int pages_installed_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&cf_pages_installed));
}

static const struct kernel_param_ops pages_installed_ops = { .get = pages_installed_get };
module_param_cb(pages_installed, &pages_installed_ops, NULL, 0444);
MODULE_PARM_DESC(pages_installed, "prefetched pages mapped into resumed children before they ran, since load (read-only)");

static int cf_open(struct inode *inode, struct file *f)
{
	struct cf_file *cf = kzalloc(sizeof(*cf), GFP_KERNEL);

	if (!cf)
		return -ENOMEM;
	mutex_init(&cf->lock);
	f->private_data = cf;
	return 0;
}

static int cf_release(struct inode *inode, struct file *f)
{
	struct cf_file *cf = f->private_data;

	kvfree(cf->stage);
	if (cf->session)
		cf_session_free(cf->session);
	kfree(cf);
	return 0;
}

static ssize_t cf_read(struct file *f, char __user *buf, size_t len, loff_t *off)
{
	return cf_session_read(f->private_data, buf, len, off);
}

static int cf_mmap(struct file *f, struct vm_area_struct *vma)
{
	return cf_session_mmap(f->private_data, vma);
}

static ssize_t cf_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	struct cf_file *cf = f->private_data;
	void *p;

	if (len < sizeof(struct mod_stage) || len > sizeof(struct mod_stage) + DESC_MAX_BYTES)
		return -CLEAVE_E_INVAL;
	p = kvmalloc(len, GFP_KERNEL);
	if (!p)
		return -CLEAVE_E_SYS;
	if (copy_from_user(p, buf, len)) {
		kvfree(p);
		return -EFAULT;
	}
	mutex_lock(&cf->lock);
	if (cf->session) { /* a resume's file is not a prepare's */
		mutex_unlock(&cf->lock);
		kvfree(p);
		return -CLEAVE_E_INVAL;
	}
	kvfree(cf->stage);
	cf->stage = p;
	cf->len = len;
	mutex_unlock(&cf->lock);
	return len;
}

static long do_prepare(struct cf_file *cf, void __user *arg)
{
	struct cleave_prepare_args *a = kmalloc(sizeof(*a), GFP_KERNEL);
	const struct mod_stage *st;
	long r;

	if (!a)
		return -CLEAVE_E_SYS;
	if (copy_from_user(a, arg, sizeof(*a))) {
		kfree(a);
		return -EFAULT;
	}
	mutex_lock(&cf->lock);
	st = cf->stage;
	if (a->version != CLEAVE_ABI_VERSION || a->flags != 0 || !st || cf->session ||
	    st->magic != MOD_STAGE_MAGIC || st->desc_len != cf->len - sizeof(*st))
		r = -CLEAVE_E_INVAL;
	else
		r = cf_prepare(st + 1, st->desc_len, st->holder_pid, a);
	kvfree(cf->stage);
	cf->stage = NULL;
	mutex_unlock(&cf->lock);
	if (r == 0 && copy_to_user(arg, a, sizeof(*a))) {
		cf_revoke(a->handle, a->key);
		r = -EFAULT;
	}
	kfree(a);
	return r;
}

static long cf_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *u = (void __user *)arg;

	switch (cmd) {
	case CLEAVE_IOC_PREPARE:
		return do_prepare(f->private_data, u);
	case CLEAVE_IOC_RESUME:
		return cf_resume(f->private_data, u);
	case CF_IOC_PREFETCH:
		return cf_prefetch(f->private_data, u);
	case CF_IOC_FILL:
		return cf_fill(f->private_data, u);
	case CF_IOC_SESSION:
		return cf_session_stats(f->private_data, u);
	case CLEAVE_IOC_REVOKE: {
		struct cleave_handle_args a;

		if (copy_from_user(&a, u, sizeof(a)))
			return -EFAULT;
		if (a.version != CLEAVE_ABI_VERSION)
			return -CLEAVE_E_INVAL;
		return cf_revoke(a.handle, a.key);
	}
	case CLEAVE_IOC_STATS: {
		/* in: version, handle and the key in reserved[0..1]; out: the counters */
		struct cleave_stats s;
		u8 key[CLEAVE_KEY_BYTES];
		long r;

		if (copy_from_user(&s, u, sizeof(s)))
			return -EFAULT;
		if (s.version != CLEAVE_ABI_VERSION)
			return -CLEAVE_E_INVAL;
		memcpy(key, s.reserved, sizeof(key));
		r = cf_stats(s.handle, key, &s);
		if (r == 0 && copy_to_user(u, &s, sizeof(s)))
			return -EFAULT;
		return r;
	}
	default:
		return -ENOTTY;
	}
}

static const struct file_operations cf_fops = {
	.owner = THIS_MODULE,
	.open = cf_open,
	.release = cf_release,
	.write = cf_write,
	.read = cf_read,
	.mmap = cf_mmap,
	.poll = cf_session_poll,
	.unlocked_ioctl = cf_ioctl,
};

static struct miscdevice cf_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "cleave_fork",
	.fops = &cf_fops,
	.mode = 0666,
};

static int __init cf_init(void)
{
	int r = cf_rdma_init();

	if (r)
		return r;
	r = misc_register(&cf_dev);
	if (r)
		cf_rdma_exit();
	return r;
}

static void __exit cf_exit(void)
{
	misc_deregister(&cf_dev);
	cf_server_stop();
	cf_handles_free_all();
	cf_rdma_exit();
}

module_init(cf_init);
module_exit(cf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Cleave fork primitive: prepare, resume with in-kernel faults, revoke, stats, page server");
