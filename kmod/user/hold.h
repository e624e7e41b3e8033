/* A restorer held ready: everything up to the child's fork done, waiting for its go. */
#ifndef CLEAVE_HOLD_H
#define CLEAVE_HOLD_H

/*
 * Waits until a byte can be read from the FIFO at path (whoever holds this restorer ready writes
 * it when a child is wanted), watching the page server connection server_fd meanwhile: the
 * server never speaks unasked, so a readable or hung-up connection means it is gone (killed, or
 * the handle revoked). Returns 0 on the go, 70 when the server went (the message on stderr
 * names server), 1 on any other failure.
 */
int hold_wait(const char *path, int server_fd, const char *server);

#endif
