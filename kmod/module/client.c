/*
 * The resume side's connection to a seed's page server (the twin's TCP protocol, desc.h).
 * Faults run in the child's context, where any signal may be pending: reads do not sleep in
 * the socket (which gives up on any signal) but on the session's wait queue, which only a fatal
 * signal interrupts. The socket's callbacks wake it.
 */
#include <linux/in.h>
#include <linux/inet.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "cf.h"

#define CONNECT_TIMEOUT (5 * HZ)

static void cf_data_ready(struct sock *sk)
{
	struct cf_session *s;

	read_lock_bh(&sk->sk_callback_lock);
	s = sk->sk_user_data;
	if (s) {
		s->old_data_ready(sk);
		wake_up_all(&s->wq);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void cf_state_change(struct sock *sk)
{
	struct cf_session *s;

	read_lock_bh(&sk->sk_callback_lock);
	s = sk->sk_user_data;
	if (s) {
		s->old_state_change(sk);
		wake_up_all(&s->wq);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static bool readable(struct sock *sk)
{
	return !skb_queue_empty_lockless(&sk->sk_receive_queue) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) || READ_ONCE(sk->sk_err);
}

bool cf_client_closed(struct cf_session *s)
{
	struct sock *sk = s->sock->sk;

	return (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) || READ_ONCE(sk->sk_err) ||
	       READ_ONCE(sk->sk_state) != TCP_ESTABLISHED;
}

/* 0, or -EIO when the server closed or failed or timeout (jiffies) passed, -EINTR on a fatal
 * signal. */
int cf_client_recv(struct cf_session *s, void *buf, size_t len, long timeout)
{
	struct sock *sk = s->sock->sk;

	while (len > 0) {
		struct kvec v = { buf, len };
		struct msghdr m = { .msg_flags = MSG_DONTWAIT };
		int n = kernel_recvmsg(s->sock, &m, &v, 1, len, MSG_DONTWAIT);

		if (n > 0) {
			buf = (char *)buf + n;
			len -= n;
			continue;
		}
		if (n == 0 || (n != -EAGAIN && n != -EINTR && n != -ERESTARTSYS))
			return -EIO;
		if (fatal_signal_pending(current))
			return -EINTR;
		timeout = wait_event_killable_timeout(s->wq, readable(sk), timeout);
		if (timeout < 0)
			return -EINTR;
		if (timeout == 0)
			return -EIO;
	}
	return 0;
}

int cf_client_send(struct cf_session *s, const void *buf, size_t len)
{
	int tries = 0;

	while (len > 0) {
		struct kvec v = { (void *)buf, len };
		struct msghdr m = { .msg_flags = MSG_NOSIGNAL };
		int n = kernel_sendmsg(s->sock, &m, &v, 1, len);

		if (n > 0) {
			buf = (const char *)buf + n;
			len -= n;
			continue;
		}
		/* requests are small: a full send buffer only waits for the server to read */
		if ((n == -EINTR || n == -ERESTARTSYS || n == -EAGAIN) &&
		    !fatal_signal_pending(current) && ++tries < 1000) {
			cond_resched();
			continue;
		}
		return n == -EINTR ? -EINTR : -EIO;
	}
	return 0;
}

/* "a.b.c.d:port" (the module connects to IPv4 literals; libcleave sends names to the twin). */
static int parse_server(const char *str, struct sockaddr_in *a)
{
	const char *colon = strrchr(str, ':');
	const char *end;
	unsigned int port;

	if (!colon || kstrtouint(colon + 1, 10, &port) || port == 0 || port > 65535)
		return -CLEAVE_E_INVAL;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((u16)port);
	if (!in4_pton(str, colon - str, (u8 *)&a->sin_addr.s_addr, ':', &end) || end != colon)
		return -CLEAVE_E_INVAL;
	return 0;
}

int cf_client_connect(struct cf_session *s, const char *server)
{
	struct sockaddr_in a;
	struct sock *sk;
	int r = parse_server(server, &a);

	if (r)
		return r;
	s->net = get_net(current->nsproxy->net_ns);
	r = sock_create_kern(s->net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &s->sock);
	if (r) {
		s->sock = NULL;
		return -CLEAVE_E_SYS;
	}
	sk = s->sock->sk;
	sk->sk_sndtimeo = CONNECT_TIMEOUT;
	r = kernel_connect(s->sock, (struct sockaddr *)&a, sizeof(a), 0);
	if (r)
		return -CLEAVE_E_SERVER;
	tcp_sock_set_nodelay(sk);
	write_lock_bh(&sk->sk_callback_lock);
	s->old_data_ready = sk->sk_data_ready;
	s->old_state_change = sk->sk_state_change;
	sk->sk_user_data = s;
	sk->sk_data_ready = cf_data_ready;
	sk->sk_state_change = cf_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
}

void cf_client_close(struct cf_session *s)
{
	struct sock *sk;

	if (!s->sock)
		goto net;
	sk = s->sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == s) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = s->old_data_ready;
		sk->sk_state_change = s->old_state_change;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	kernel_sock_shutdown(s->sock, SHUT_RDWR);
	sock_release(s->sock);
	s->sock = NULL;
net:
	if (s->net)
		put_net(s->net);
	s->net = NULL;
}
