# Soft-RoCE between the two nodes of tests/nodes.sh, sourced by tests/vm.sh and bench/vm-bench.sh
# in a guest whose kernel has rdma_rxe and cleave_fork loaded. The caller sets IPA and IPB.
#
# Each node's RDMA NIC is rdma_rxe on one end of a veth pair carrying the node's address. rxe in
# Linux 6.1 sends and receives only in the initial network namespace (a device on a veth inside
# a namespace fails every work request), so the pair lives there, beside the nodes' namespaces;
# policy routing makes packets between its two local addresses cross the pair instead of the
# loopback. The module picks the device carrying the page connection's address, as on a RoCE
# node: node A's connections leave from IPA (device rxe-a), node B's from IPB (rxe-b). Jumbo
# frames, as RoCE networks use: a 4096-byte RoCE MTU carries a page per packet.
make_rdma_wire() {
	ip link set lo up && ip link add cleave-ra type veth peer name cleave-rb &&
		ip addr add $IPA/24 dev cleave-ra && ip addr add $IPB/24 dev cleave-rb &&
		ip link set cleave-ra mtu 9000 && ip link set cleave-rb mtu 9000 &&
		ip link set cleave-ra up && ip link set cleave-rb up &&
		ip rule add pref 1000 lookup local && ip rule del pref 0 &&
		ip rule add pref 10 oif cleave-ra lookup 100 && ip rule add pref 11 oif cleave-rb lookup 101 &&
		ip route add $IPB/32 dev cleave-ra table 100 src $IPA &&
		ip route add $IPA/32 dev cleave-rb table 101 src $IPB || return 1
	for d in all cleave-ra cleave-rb; do
		sysctl -qw net.ipv4.conf.$d.accept_local=1 net.ipv4.conf.$d.rp_filter=0 || return 1
	done
	# A NIC hashes a flow to one receive queue, so a queue pair's packets arrive in order. A veth
	# receives on the sending CPU's backlog instead: READ responses sent from both vCPUs arrived
	# out of order, and rxe answered each gap by resending every read in flight (go-back-N:
	# hundreds of duplicate requests per prefetch, bulk reads slower than TCP). One CPU takes
	# each end's packets (RPS), in the order they were sent.
	for d in cleave-ra cleave-rb; do
		echo 1 >/sys/class/net/$d/queues/rx-0/rps_cpus || return 1
	done
	rdma link add rxe-a type rxe netdev cleave-ra && rdma link add rxe-b type rxe netdev cleave-rb
}

# set_rdma 0|1: resumes from now on read pages by RDMA (1) or over TCP (0)
set_rdma() { echo "$1" >/sys/module/cleave_fork/parameters/rdma; }
