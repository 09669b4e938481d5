// SPDX-License-Identifier: BSD-3-Clause
/* Seeded splitmix64: the core's only source of chance, reproducible from qu_params.seed. */
#include "internal.h"

uint64_t qu_prng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}
