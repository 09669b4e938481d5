// SPDX-License-Identifier: BSD-3-Clause
/*
 * Pub/sub on the RESP port: each client's channel and pattern subscriptions (bounded in count
 * and bytes) and the delivery of events to them in Redis's message order. Delivery only
 * appends to output buffers: it never writes a socket itself, and a subscriber that cannot keep
 * up is dropped rather than buffered without end.
 */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "server_internal.h"

static int sub_find(const struct sn_client *c, bool pattern, const char *name, size_t len)
{
	for (uint32_t i = 0; i < c->sub_count; i++) {
		const struct sn_sub *sub = &c->subs[i];
		if (sub->pattern == pattern && sub->len == len && memcmp(sub->name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

int sn_client_sub_add(struct sn_client *c, bool pattern, const char *name, size_t len)
{
	if (sub_find(c, pattern, name, len) >= 0)
		return 0;
	if (c->sub_count >= SN_CLIENT_SUBS_MAX || c->sub_bytes + len > SN_CLIENT_SUB_BYTES_MAX)
		return -1;
	if (c->sub_count == c->sub_cap) {
		uint32_t cap = c->sub_cap == 0 ? 4 : c->sub_cap * 2;
		struct sn_sub *subs = realloc(c->subs, cap * sizeof(*subs));
		if (subs == NULL)
			abort();
		c->subs = subs;
		c->sub_cap = cap;
	}
	char *copy = malloc(len + 1);
	if (copy == NULL)
		abort();
	memcpy(copy, name, len);
	copy[len] = '\0';
	c->subs[c->sub_count++] = (struct sn_sub){.name = copy, .len = len, .pattern = pattern};
	c->sub_bytes += len;
	if (pattern)
		c->pattern_count++;
	else
		c->channel_count++;
	if (c->sub_count == 1)
		c->srv->pubsub_client_count++;
	return 1;
}

int sn_client_sub_remove(struct sn_client *c, bool pattern, const char *name, size_t len)
{
	int i = sub_find(c, pattern, name, len);
	if (i < 0)
		return 0;
	free(c->subs[i].name);
	memmove(&c->subs[i], &c->subs[i + 1], (c->sub_count - (uint32_t)i - 1) * sizeof(*c->subs));
	c->sub_count--;
	c->sub_bytes -= len;
	if (pattern)
		c->pattern_count--;
	else
		c->channel_count--;
	if (c->sub_count == 0) {
		c->srv->pubsub_client_count--;
		c->soft_limit_since_ms = 0;
	}
	return 1;
}

/* Append this event to c: "message" if subscribed to channel, then one "pmessage" per
 * matching pattern (Redis serves channel subscribers before patterns). Returns the count. */
static int deliver(struct sn_client *c, const char *channel, size_t clen, const char *payload,
                   size_t len)
{
	int n = 0;
	if (c->channel_count > 0 && sub_find(c, false, channel, clen) >= 0) {
		sn_resp_push(&c->out, c->proto, 3);
		sn_resp_bulk(&c->out, "message", 7);
		sn_resp_bulk(&c->out, channel, clen);
		sn_resp_bulk(&c->out, payload, len);
		n++;
	}
	for (uint32_t i = 0; i < c->sub_count && c->pattern_count > 0; i++) {
		const struct sn_sub *sub = &c->subs[i];
		if (!sub->pattern || !sn_resp_glob_match(sub->name, sub->len, channel, clen, false))
			continue;
		sn_resp_push(&c->out, c->proto, 4);
		sn_resp_bulk(&c->out, "pmessage", 8);
		sn_resp_bulk(&c->out, sub->name, sub->len);
		sn_resp_bulk(&c->out, channel, clen);
		sn_resp_bulk(&c->out, payload, len);
		n++;
	}
	return n;
}

void sn_server_publish(struct sn_server *s, const char *channel, const char *payload, size_t len)
{
	if (!s->running || s->pubsub_client_count == 0)
		return;
	size_t clen = strlen(channel);
	int64_t now_ms = sn_clock_now_ms();
	struct sn_client *next;
	for (struct sn_client *c = s->clients; c != NULL; c = next) {
		next = c->next; /* c may be closed below */
		if (c->sub_count == 0 || deliver(c, channel, clen, payload, len) == 0)
			continue;
		s->stats.pubsub_messages++;
		if (sn_client_enforce_limits(s, c, now_ms) != 0)
			continue;
		ev_io_start(s->loop, &c->write_io); /* written when the loop next polls */
	}
}
