/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the server files share and nothing else may include: server.c (listeners, start, stop,
 * cron) hands accepted sockets to server_client.c (one connection's I/O and requests), and
 * server_pubsub.c (subscriptions, delivery) asks it to enforce output limits. It declares no
 * state of its own.
 */
#ifndef SN_SERVER_INTERNAL_H
#define SN_SERVER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cmd.h"
#include "server.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* server.c: make fd non-blocking and close-on-exec. Returns 0 or -errno. */
int sn_server_set_nonblock_cloexec(int fd) __attribute__((warn_unused_result));

/*
 * server_client.c: take ownership of fd, just accepted from peer: a new client, read on the
 * server's loop; or, past maxclients, an error line and close (counted as rejected). Never
 * fails: a socket it cannot set up is closed.
 */
void sn_client_accept(struct sn_server *s, int fd, const struct sockaddr_storage *peer);

/* server_client.c: close c now, or when its running requests unwind if it is s->current. */
void sn_client_close(struct sn_server *s, struct sn_client *c);

/*
 * server_client.c: Redis's output-buffer limits (pub/sub hard and soft, our hard cap for the
 * others). A client past them is logged and closed: returns -1 (do not touch c again), else 0.
 */
int sn_client_enforce_limits(struct sn_server *s, struct sn_client *c, int64_t now_ms);

#endif
