/*
 * rkey_cross SERVER LOCAL_IP HANDLE_A KEY_A HANDLE_B KEY_B: a user-space RDMA client of the
 * module's page server that checks per-handle isolation. It opens an authenticated session and
 * a queue pair for each handle, reads the first page of handle A through A's queue pair with
 * A's rkey (must succeed), then through B's queue pair with A's rkey and address (must fail:
 * a handle's registrations live in its own protection domain). Prints "own_read ok" and
 * "cross_read refused <status>", or what went wrong; exits 0 only when both hold.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <infiniband/verbs.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "desc.h"

struct side {
	int sock;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct msg_rdma_offer offer;
	struct msg_rdma_chunk chunk0;
};

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static uint8_t port;
static int gid_index = -1;
static union ibv_gid my_gid;

static int fail(const char *what)
{
	fprintf(stderr, "rkey_cross: %s: %s\n", what, strerror(errno));
	return -1;
}

static int send_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("send");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			return fail("recv");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The device, port and GID index of the RoCE v2 GID ::ffff:ip. */
static int find_gid(const char *ip)
{
	struct in_addr a;
	if (inet_pton(AF_INET, ip, &a) != 1) {
		fprintf(stderr, "rkey_cross: %s is not an IPv4 address\n", ip);
		return -1;
	}
	memset(&my_gid, 0, sizeof my_gid);
	my_gid.raw[10] = my_gid.raw[11] = 0xff;
	memcpy(&my_gid.raw[12], &a, 4);
	int n;
	struct ibv_device **list = ibv_get_device_list(&n);
	if (!list)
		return fail("ibv_get_device_list");
	for (int d = 0; d < n && gid_index < 0; d++) {
		struct ibv_context *c = ibv_open_device(list[d]);
		struct ibv_device_attr da;
		if (!c)
			continue;
		if (ibv_query_device(c, &da) == 0) {
			for (uint8_t p = 1; p <= da.phys_port_cnt && gid_index < 0; p++) {
				struct ibv_port_attr pa;
				if (ibv_query_port(c, p, &pa) != 0)
					continue;
				for (int i = 0; i < pa.gid_tbl_len && gid_index < 0; i++) {
					struct ibv_gid_entry e;
					if (ibv_query_gid_ex(c, p, (uint32_t)i, &e, 0) == 0 &&
					    e.gid_type == IBV_GID_TYPE_ROCE_V2 &&
					    !memcmp(e.gid.raw, my_gid.raw, sizeof my_gid.raw)) {
						gid_index = i;
						port = p;
					}
				}
			}
		}
		if (gid_index >= 0)
			ctx = c;
		else
			ibv_close_device(c);
	}
	ibv_free_device_list(list);
	if (gid_index < 0) {
		fprintf(stderr, "rkey_cross: no RoCE v2 GID for %s\n", ip);
		return -1;
	}
	return 0;
}

/* Hello with the handle's key, the descriptor (dropped), then the seed's RDMA offer for a new
 * queue pair of ours, connected to the seed's. */
static int open_side(struct side *s, const char *server, const char *handle, const char *keyhex)
{
	char host[64];
	const char *colon = strrchr(server, ':');
	if (!colon || (size_t)(colon - server) >= sizeof host) {
		fprintf(stderr, "rkey_cross: server %s is not ip:port\n", server);
		return -1;
	}
	memcpy(host, server, (size_t)(colon - server));
	host[colon - server] = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "rkey_cross: server %s is not ip:port\n", server);
		return -1;
	}
	s->sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->sock < 0 || connect(s->sock, (struct sockaddr *)&sa, sizeof sa) != 0)
		return fail("connect to the page server");
	struct msg_auth auth = {.handle = strtoull(handle, NULL, 10)};
	if (strlen(keyhex) != 2 * sizeof auth.key) {
		fprintf(stderr, "rkey_cross: key %s is not %zu hex digits\n", keyhex, 2 * sizeof auth.key);
		return -1;
	}
	for (size_t i = 0; i < sizeof auth.key; i++)
		if (sscanf(keyhex + 2 * i, "%2hhx", &auth.key[i]) != 1) {
			fprintf(stderr, "rkey_cross: key %s is not hex\n", keyhex);
			return -1;
		}
	struct msg_hdr h = {MSG_MAGIC, M_HELLO, 0, sizeof auth, 0};
	if (send_full(s->sock, &h, sizeof h) || send_full(s->sock, &auth, sizeof auth) ||
	    recv_full(s->sock, &h, sizeof h))
		return -1;
	if (h.type != M_DESC || h.status != 0 || !(h.pad & MSG_CAP_RDMA)) {
		fprintf(stderr, "rkey_cross: hello for handle %s: type %u status %u caps %#x\n", handle,
			h.type, h.status, h.pad);
		return -1;
	}
	char *desc = malloc(h.len);
	if (!desc || recv_full(s->sock, desc, h.len))
		return -1;
	free(desc);

	s->cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
	if (!s->cq)
		return fail("ibv_create_cq");
	struct ibv_qp_init_attr ia = {.send_cq = s->cq, .recv_cq = s->cq, .qp_type = IBV_QPT_RC,
				      .cap = {.max_send_wr = 2, .max_recv_wr = 1, .max_send_sge = 1,
					      .max_recv_sge = 1}};
	s->qp = ibv_create_qp(pd, &ia);
	if (!s->qp)
		return fail("ibv_create_qp");
	struct ibv_qp_attr qa = {.qp_state = IBV_QPS_INIT, .port_num = port};
	if (ibv_modify_qp(s->qp, &qa, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
					   IBV_QP_ACCESS_FLAGS))
		return fail("queue pair to INIT");
	uint32_t psn = (uint32_t)getpid() & 0xffffff;
	struct msg_rdma_ep me = {.qpn = s->qp->qp_num, .psn = psn};
	memcpy(me.gid, my_gid.raw, sizeof me.gid);
	h = (struct msg_hdr){MSG_MAGIC, M_RDMA, 0, sizeof me, 0};
	if (send_full(s->sock, &h, sizeof h) || send_full(s->sock, &me, sizeof me) ||
	    recv_full(s->sock, &h, sizeof h))
		return -1;
	if (h.type != M_RDMA || h.status != 0 || h.len < sizeof s->offer + sizeof s->chunk0) {
		fprintf(stderr, "rkey_cross: RDMA offer for handle %s: type %u status %u len %u\n",
			handle, h.type, h.status, h.len);
		return -1;
	}
	if (recv_full(s->sock, &s->offer, sizeof s->offer) ||
	    recv_full(s->sock, &s->chunk0, sizeof s->chunk0))
		return -1;
	/* the other chunks stay unread: this client asks nothing more over TCP */

	struct ibv_port_attr pa;
	if (ibv_query_port(ctx, port, &pa))
		return fail("ibv_query_port");
	qa = (struct ibv_qp_attr){.qp_state = IBV_QPS_RTR, .path_mtu = pa.active_mtu,
				  .dest_qp_num = s->offer.ep.qpn & 0xffffff,
				  .rq_psn = s->offer.ep.psn & 0xffffff, .max_dest_rd_atomic = 1,
				  .min_rnr_timer = 12};
	qa.ah_attr.is_global = 1;
	qa.ah_attr.port_num = port;
	qa.ah_attr.grh.sgid_index = (uint8_t)gid_index;
	qa.ah_attr.grh.hop_limit = 64;
	memcpy(qa.ah_attr.grh.dgid.raw, s->offer.ep.gid, sizeof s->offer.ep.gid);
	if (ibv_modify_qp(s->qp, &qa, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
					   IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
					   IBV_QP_MIN_RNR_TIMER))
		return fail("queue pair to RTR");
	qa = (struct ibv_qp_attr){.qp_state = IBV_QPS_RTS, .sq_psn = psn, .timeout = 14,
				  .retry_cnt = 2, .rnr_retry = 2, .max_rd_atomic = 1};
	if (ibv_modify_qp(s->qp, &qa, IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
					   IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC))
		return fail("queue pair to RTS");
	return 0;
}

/* One page READ on s's queue pair from (iova, rkey); the completion's status, or -1. */
static int read_page(struct side *s, struct ibv_mr *mr, uint64_t iova, uint32_t rkey)
{
	struct ibv_sge sge = {.addr = (uintptr_t)mr->addr, .length = 4096, .lkey = mr->lkey};
	struct ibv_send_wr wr = {.wr_id = 1, .sg_list = &sge, .num_sge = 1,
				 .opcode = IBV_WR_RDMA_READ, .send_flags = IBV_SEND_SIGNALED};
	struct ibv_send_wr *bad;
	wr.wr.rdma.remote_addr = iova;
	wr.wr.rdma.rkey = rkey;
	if (ibv_post_send(s->qp, &wr, &bad))
		return fail("ibv_post_send");
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct ibv_wc wc;
		int n = ibv_poll_cq(s->cq, 1, &wc);
		if (n < 0)
			return fail("ibv_poll_cq");
		if (n == 1)
			return (int)wc.status;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 20) {
			fprintf(stderr, "rkey_cross: no completion in 20 s\n");
			return -1;
		}
		usleep(1000);
	}
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: rkey_cross SERVER LOCAL_IP HANDLE_A KEY_A HANDLE_B KEY_B\n");
		return 2;
	}
	if (find_gid(argv[2]))
		return 1;
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		return fail("ibv_alloc_pd"), 1;
	void *buf = aligned_alloc(4096, 4096);
	struct ibv_mr *mr = buf ? ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!mr)
		return fail("ibv_reg_mr"), 1;
	struct side a, b;
	if (open_side(&a, argv[1], argv[3], argv[4]) || open_side(&b, argv[1], argv[5], argv[6]))
		return 1;
	if (a.chunk0.rkey == b.chunk0.rkey)
		printf("note: both handles' first chunks share rkey %#x\n", a.chunk0.rkey);
	int own = read_page(&a, mr, a.chunk0.iova, a.chunk0.rkey);
	if (own != IBV_WC_SUCCESS) {
		printf("own_read failed %s\n", own < 0 ? "(no completion)" : ibv_wc_status_str(own));
		return 1;
	}
	printf("own_read ok\n");
	int cross = read_page(&b, mr, a.chunk0.iova, a.chunk0.rkey);
	if (cross == IBV_WC_SUCCESS) {
		printf("cross_read succeeded: handle B's queue pair read handle A's page\n");
		return 1;
	}
	if (cross < 0)
		return 1;
	printf("cross_read refused %s\n", ibv_wc_status_str(cross));
	return 0;
}
