/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* A malloc'ed string formatted as by printf; NULL without memory. */
char *strprintf(const char *fmt, ...) _printf_(1, 2);
