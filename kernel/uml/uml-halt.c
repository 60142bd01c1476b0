// SPDX-License-Identifier: GPL-2.0
/* Powers a User-Mode-Linux instance off from its init script. */
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
