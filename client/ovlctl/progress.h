/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#define PROGRESS_BAR_WIDTH 30

/* The share of @total that @processed is, from 0 to 1: a job's Processed
 * and Total come from separate reads, and Processed may be ahead of a
 * Total that grew meanwhile (a recursive job's). */
double progress_fraction(uint64_t processed, uint64_t total);

/* @bar drawn for share @f (taken as 0 to 1): '#' for what is done, '.'
 * for the rest, NUL-terminated. */
void progress_bar(double f, char bar[static PROGRESS_BAR_WIDTH + 1]);
