// Package rawudp reads and writes UDP sockets with raw system calls.
//
// Every system call Go's net package makes goes through syscall.Syscall,
// which tells the scheduler: when the process was idle, that wakes the
// runtime's sysmon, which then polls every 20 µs for a millisecond. A
// process woken by each packet that arrives (an SFU, a load generator's
// many clients) paid 9-14 % of its CPU for that (perf). The calls here are
// made through the socket's syscall.RawConn with unix.RawSyscall6 on the
// non-blocking socket, so they never sleep in the kernel: on EAGAIN the
// runtime's poller waits for the socket as it does for net.UDPConn, and
// deadlines hold. Elsewhere than Linux they are net.UDPConn's own.
package rawudp
