#ifndef CPULSELINUX_SHIM_H
#define CPULSELINUX_SHIM_H

/* Linux-only system calls that Swift's Glibc module does not export: epoll, eventfd, timerfd. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <pthread.h>

/* pthread_setname_np is a GNU extension that Glibc's module hides without _GNU_SOURCE; this wrapper
   declares it so loop threads can carry a name in `top -H`, perf and /proc. */
extern int pthread_setname_np(pthread_t thread, const char *name);
static inline int cpulse_set_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

#endif
