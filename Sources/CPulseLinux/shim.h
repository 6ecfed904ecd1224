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

#endif
