/*
 * The module's page server: the user-space twin's TCP protocol (desc.h: M_HELLO -> M_DESC,
 * M_READ -> M_DATA) from kernel sockets, pages read straight from the snapshot's address space
 * with no user-space process on the seed's node. One kernel thread accepts, one per connection.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/wait.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "cf.h"

struct cf_conn {
	struct list_head node;
	struct socket *sock;
	struct net *net; /* kernel sockets do not hold their namespace: the connection does */
	u64 handle; /* once its key was proven; under cf_lock */
	struct cf_rep *rdma; /* its queue pair, once the client asked for RDMA */
};

/* The listener runs while snapshots are held, in the namespace of the process whose prepare
 * started it, and holds that namespace (kernel sockets do not) until it stops. */
static DEFINE_MUTEX(server_lock);
static struct socket *listener;
static struct net *listener_net;
static struct task_struct *acceptor;
static LIST_HEAD(conns);
static DECLARE_WAIT_QUEUE_HEAD(conns_gone);

static int recv_full(struct socket *s, void *buf, size_t len)
{
	while (len > 0) {
		struct kvec v = { buf, len };
		struct msghdr m = { .msg_flags = MSG_WAITALL };
		int n = kernel_recvmsg(s, &m, &v, 1, len, MSG_WAITALL);

		if (n <= 0)
			return -EIO;
		buf = (char *)buf + n;
		len -= n;
	}
	return 0;
}

/* Sends all of vec[0..n) (modified as it goes). */
static int send_vec(struct socket *s, struct kvec *vec, size_t n)
{
	size_t total = 0, i;

	for (i = 0; i < n; i++)
		total += vec[i].iov_len;
	while (total > 0) {
		struct msghdr m = { .msg_flags = MSG_NOSIGNAL };
		int w = kernel_sendmsg(s, &m, vec, n, total);

		if (w <= 0)
			return -EIO;
		total -= w;
		while (n > 0 && (size_t)w >= vec->iov_len) {
			w -= vec->iov_len;
			vec++;
			n--;
		}
		if (n > 0) {
			vec->iov_base = (char *)vec->iov_base + w;
			vec->iov_len -= w;
		}
	}
	return 0;
}

int cf_send_msg(struct socket *s, u16 type, u16 status, u32 pad, const void *payload, u32 len)
{
	struct msg_hdr h = { .magic = MSG_MAGIC, .type = type, .status = status, .len = len,
			     .pad = pad };
	struct kvec v[2] = { { &h, sizeof(h) }, { (void *)payload, len } };

	return send_vec(s, v, len ? 2 : 1);
}

static int send_error(struct socket *s, u16 type, int code, const char *msg)
{
	return cf_send_msg(s, type, (u16)code, 0, msg, (u32)strlen(msg));
}

/* Pins the batch's pages of the snapshot; fails when a page cannot be had. */
static int pin_batch(struct cf_handle *h, const struct msg_range *r, u32 n, struct page **pages)
{
	u32 i, got = 0;
	int r0 = 0;

	mmap_read_lock(h->mm);
	for (i = 0; i < n && !r0; i++) {
		u32 done = 0;

		while (done < r[i].npages) {
			long k = get_user_pages_remote(h->mm, r[i].addr + (u64)done * PAGE_SZ,
						       r[i].npages - done, FOLL_FORCE, pages + got,
						       NULL, NULL);
			if (k <= 0) {
				r0 = -EFAULT;
				break;
			}
			done += k;
			got += k;
		}
	}
	mmap_read_unlock(h->mm);
	if (r0) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		return r0;
	}
	return (int)got;
}

#define SEND_CHUNK 64
#define HELLO_TIMEOUT (10 * HZ)

static int send_pages(struct socket *s, struct page **pages, u32 n)
{
	struct kvec v[SEND_CHUNK];
	u32 i = 0, k;

	while (i < n) {
		for (k = 0; k < SEND_CHUNK && i + k < n; k++) {
			v[k].iov_base = page_address(pages[i + k]);
			v[k].iov_len = PAGE_SIZE;
		}
		if (send_vec(s, v, k))
			return -EIO;
		i += k;
	}
	return 0;
}

static void serve_reads(struct cf_conn *c, struct cf_handle *h)
{
	struct msg_range *ranges = kmalloc_array(MAX_READ_RANGES, sizeof(*ranges), GFP_KERNEL);
	struct page **pages = kvmalloc_array(MAX_READ_PAGES, sizeof(*pages), GFP_KERNEL);
	struct msg_hdr m;

	while (ranges && pages) {
		u32 n, i;
		u64 total = 0;
		bool bad = false, gone;
		int got;

		if (recv_full(c->sock, &m, sizeof(m)) || m.magic != MSG_MAGIC)
			break;
		if (m.type == M_RDMA) {
			struct msg_rdma_ep peer;

			if (m.len != sizeof(peer) || recv_full(c->sock, &peer, sizeof(peer)) ||
			    cf_rdma_serve(c->sock, h, &peer, &c->rdma))
				break;
			continue;
		}
		n = m.len / sizeof(*ranges);
		if (m.type != M_READ || m.len % sizeof(*ranges) || n == 0 || n > MAX_READ_RANGES ||
		    recv_full(c->sock, ranges, m.len)) {
			send_error(c->sock, M_DATA, CLEAVE_E_SERVER, "bad read request");
			break;
		}
		for (i = 0; i < n && !bad; i++) {
			total += ranges[i].npages;
			bad = !cf_range_ok(h, ranges[i].addr, ranges[i].npages);
		}
		if (bad || total > MAX_READ_PAGES) {
			send_error(c->sock, M_DATA, CLEAVE_E_INVAL, "read outside the seed's content");
			break;
		}
		mutex_lock(&cf_lock);
		gone = h->revoked;
		mutex_unlock(&cf_lock);
		got = gone ? -ENOENT : pin_batch(h, ranges, n, pages);
		if (got < 0) {
			send_error(c->sock, M_DATA, CLEAVE_E_NOHANDLE, "snapshot revoked or holder gone");
			break;
		}
		{
			struct msg_hdr d = { .magic = MSG_MAGIC, .type = M_DATA,
					     .len = (u32)(total * PAGE_SZ) };
			struct kvec v = { &d, sizeof(d) };
			int e = send_vec(c->sock, &v, 1);

			if (!e)
				e = send_pages(c->sock, pages, got);
			for (i = 0; i < (u32)got; i++)
				put_page(pages[i]);
			if (e)
				break;
		}
		atomic64_inc(&h->batches);
		atomic64_add(total, &h->pages);
		atomic64_add(total * PAGE_SZ, &h->bytes);
	}
	kfree(ranges);
	kvfree(pages);
}

static void serve(struct cf_conn *c)
{
	struct msg_hdr m;
	struct msg_auth auth;
	struct cf_handle *h;
	bool revoked;

	/* a client that says nothing does not keep a thread: the hello has HELLO_TIMEOUT */
	c->sock->sk->sk_rcvtimeo = HELLO_TIMEOUT;
	if (recv_full(c->sock, &m, sizeof(m)) || m.magic != MSG_MAGIC || m.type != M_HELLO ||
	    m.len != sizeof(auth) || recv_full(c->sock, &auth, sizeof(auth))) {
		send_error(c->sock, M_DESC, CLEAVE_E_SERVER, "expected a hello");
		return;
	}
	/* a lazy child may run for minutes between two faults */
	c->sock->sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	h = cf_handle_get(auth.handle);
	if (!h) {
		send_error(c->sock, M_DESC, CLEAVE_E_NOHANDLE, "no such handle");
		return;
	}
	if (!cf_key_ok(h, auth.key)) {
		send_error(c->sock, M_DESC, CLEAVE_E_KEY, "wrong key");
		cf_handle_put(h);
		return;
	}
	mutex_lock(&cf_lock);
	c->handle = h->id;
	revoked = h->revoked;
	mutex_unlock(&cf_lock);
	if (revoked) { /* revoked between the lookup and here: its shutdown missed this one */
		send_error(c->sock, M_DESC, CLEAVE_E_NOHANDLE, "no such handle");
	} else {
		atomic64_inc(&h->connections);
		if (!cf_send_msg(c->sock, M_DESC, 0, MSG_CAP_RDMA, h->desc, (u32)h->desc_len))
			serve_reads(c, h);
	}
	cf_handle_put(h);
}

static int conn_main(void *arg)
{
	struct cf_conn *c = arg;

	serve(c);
	cf_rdma_conn_close(c->rdma);
	mutex_lock(&cf_lock);
	list_del(&c->node);
	cf_live_conns--;
	mutex_unlock(&cf_lock);
	sock_release(c->sock);
	put_net(c->net);
	kfree(c);
	wake_up(&conns_gone);
	module_put_and_kthread_exit(0);
}

static void start_conn(struct socket *s)
{
	struct cf_conn *c = kzalloc(sizeof(*c), GFP_KERNEL);
	struct task_struct *t;

	if (!c) {
		sock_release(s);
		return;
	}
	c->sock = s;
	c->net = get_net(sock_net(s->sk));
	tcp_sock_set_nodelay(s->sk);
	__module_get(THIS_MODULE);
	mutex_lock(&cf_lock);
	list_add(&c->node, &conns);
	cf_live_conns++;
	mutex_unlock(&cf_lock);
	t = kthread_run(conn_main, c, "cleave_fork_conn");
	if (IS_ERR(t)) {
		mutex_lock(&cf_lock);
		list_del(&c->node);
		cf_live_conns--;
		mutex_unlock(&cf_lock);
		sock_release(s);
		put_net(c->net);
		kfree(c);
		module_put(THIS_MODULE);
	}
}

static int accept_main(void *arg)
{
	while (!kthread_should_stop()) {
		struct socket *s;
		int e = kernel_accept(listener, &s, 0);

		if (e == 0 && READ_ONCE(cf_live_conns) >= cf_max_conns)
			sock_release(s); /* a flood of connections does not make a flood of threads */
		else if (e == 0)
			start_conn(s);
		else
			msleep(20); /* shut down (stop is near) or out of memory */
	}
	return 0;
}

int cf_server_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((u16)cf_port),
				 .sin_addr = { htonl(INADDR_ANY) } };
	struct net *net = current->nsproxy->net_ns;
	struct socket *s;
	int e;

	if (listener)
		return 0;
	e = sock_create_kern(net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &s);
	if (e)
		return -CLEAVE_E_SYS;
	sock_set_reuseaddr(s->sk);
	e = kernel_bind(s, (struct sockaddr *)&a, sizeof(a));
	if (!e)
		e = kernel_listen(s, 128);
	if (e) {
		pr_warn("cleave_fork: cannot listen on TCP port %d: %d\n", cf_port, e);
		sock_release(s);
		return -CLEAVE_E_SERVER;
	}
	listener = s;
	acceptor = kthread_run(accept_main, NULL, "cleave_fork_accept");
	if (IS_ERR(acceptor)) {
		acceptor = NULL;
		listener = NULL;
		sock_release(s);
		return -CLEAVE_E_SYS;
	}
	get_task_struct(acceptor);
	listener_net = get_net(net);
	return 0;
}

void cf_server_lock(void)
{
	mutex_lock(&server_lock);
}

void cf_server_unlock(void)
{
	mutex_unlock(&server_lock);
}

void cf_server_stop_listener(void)
{
	if (!listener)
		return;
	kernel_sock_shutdown(listener, SHUT_RDWR);
	kthread_stop(acceptor);
	put_task_struct(acceptor);
	sock_release(listener);
	put_net(listener_net);
	listener = NULL;
	listener_net = NULL;
}

void cf_server_drop_handle(u64 id)
{
	struct cf_conn *c;

	list_for_each_entry(c, &conns, node)
		if (c->handle == id)
			kernel_sock_shutdown(c->sock, SHUT_RDWR);
}

void cf_server_stop(void)
{
	struct cf_conn *c;

	cf_server_lock();
	cf_server_stop_listener();
	cf_server_unlock();
	mutex_lock(&cf_lock);
	list_for_each_entry(c, &conns, node)
		kernel_sock_shutdown(c->sock, SHUT_RDWR);
	mutex_unlock(&cf_lock);
	wait_event(conns_gone, READ_ONCE(cf_live_conns) == 0);
}
