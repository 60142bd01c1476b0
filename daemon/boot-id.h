/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* This boot's id (/proc/sys/kernel/random/boot_id), for records that hold
 * only until the next boot. */
int boot_id_get(char buf[static 64]);
