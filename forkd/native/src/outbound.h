/*
 * The container's end of an outbound instance's network: forkd moved one end of a veth pair into
 * the container's network namespace as OUTBOUND_IF (the other is a port of the node bridge); the
 * helper gives it the instance's address, brings it up and routes everything but loopback through
 * the bridge's gateway. Loopback-only containers never call this.
 */
#ifndef CLEAVE_OUTBOUND_H
#define CLEAVE_OUTBOUND_H

#define OUTBOUND_IF "eth0"

/* address: IPv4 "A.B.C.D/N" of the instance; gateway: IPv4 "A.B.C.D" inside that network. Fatal on error. */
void outbound_up(const char *address, const char *gateway);

#endif
