/* Starting the instance process: join its cgroups, drop every privilege, exec the command. */
#ifndef CLEAVE_LAUNCH_H
#define CLEAVE_LAUNCH_H

#include <sys/types.h>

#include "order.h"

/* Host-side resources the instance needs, opened before the host tree goes away. */
struct launch_files {
  int output;
  int uffd_dev; /* open /dev/userfaultfd at ORDER_UFFD_FD, or -1 */
  int connection; /* the order's connection at ORDER_CONNECT_FD, or -1 */
  int cgroup_procs[ORDER_MAX_CGROUPS];
  size_t ncgroups;
};

/* node_net: the node's network namespace, where the order's connection is made from. */
void launch_open(const struct order *o, struct launch_files *f, int node_net);

/* Forks the instance (inside the container, after rootfs_enter) and waits until its exec
 * succeeded. Returns its pid in the container's pid namespace; an exec failure is fatal. */
pid_t launch_start(const struct order *o, struct launch_files *f);

#endif
