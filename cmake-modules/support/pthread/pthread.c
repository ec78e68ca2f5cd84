// Single-threaded pthreads for WASI sysroots without <pthread.h> (Debian
// 12's wasi-libc; docs/posix.md). Newer wasi-libc gives wasm32-wasip1 the
// same kind of layer: synchronization objects keep real state and fail as
// POSIX says when the one thread there is could never get them (EDEADLK,
// EBUSY, EPERM), pthread_create fails with EAGAIN, and a wait no other
// thread could ever end prints why and traps. WasiSupport.cmake compiles
// this file only when the sysroot has no <pthread.h>; every definition is
// weak, like the rest of the support library.
//
// The objects are wasi-libc's own types (musl's layouts); only this file
// reads their fields, so it keeps its own state in them:
//   mutex    __i[0] type, __i[1] lock depth (0: unlocked)
//   rwlock   __i[0] read locks held, __i[1] write lock held
//   cond     __p[0] its clock (0: CLOCK_REALTIME)
//   barrier  __i[0] count
//   attr     __s[0] stack size, __s[1] guard size, __s[2] stack address,
//            __i[3] detach state
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef __WASIBUILD_PTHREAD_H
#error "the sysroot has its own <pthread.h>: wasibuild's pthread layer must not be built"
#endif

#define WEAK __attribute__((weak))

_Static_assert(sizeof(void*) <= sizeof(unsigned), "a condattr holds a clock pointer");

// The one thread: pthread_self() is the address of this object.
static char the_thread;
static int cancel_state = PTHREAD_CANCEL_ENABLE;
static int cancel_type = PTHREAD_CANCEL_DEFERRED;
static int cancel_pending;
static struct __ptcb* cleanup_stack;

// A wait that no other thread could ever end: say which, then trap (a
// program that loops around a spurious wakeup would spin forever instead).
__attribute__((noreturn)) static void deadlock(const char* what) {
  static const char prefix[] = "wasibuild: ";
  static const char suffix[] = " would wait forever: this WASI target has one thread (docs/posix.md)\n";
  (void)!write(2, prefix, sizeof prefix - 1);
  (void)!write(2, what, strlen(what));
  (void)!write(2, suffix, sizeof suffix - 1);
  __builtin_trap();
}

static clockid_t clock_of(const pthread_cond_t* c) {
  return c->__u.__p[0] ? (clockid_t)c->__u.__p[0] : CLOCK_REALTIME;
}

// Waits until `deadline` on `clock`, as a lock held by the caller itself
// would make a real system do, then reports ETIMEDOUT.
static int sleep_until(clockid_t clock, const struct timespec* deadline) {
  if (!deadline || deadline->tv_nsec < 0 || deadline->tv_nsec >= 1000000000L) return EINVAL;
  for (;;) {
    struct timespec now;
    if (clock_gettime(clock, &now) != 0) return EINVAL;
    if (now.tv_sec > deadline->tv_sec || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec)) {
      return ETIMEDOUT;
    }
    struct timespec left = {deadline->tv_sec - now.tv_sec, deadline->tv_nsec - now.tv_nsec};
    if (left.tv_nsec < 0) {
      left.tv_sec -= 1;
      left.tv_nsec += 1000000000L;
    }
    nanosleep(&left, NULL);
  }
}

// Threads.

WEAK int pthread_create(pthread_t* restrict thread, const pthread_attr_t* restrict attr, void* (*start)(void*),
                        void* restrict arg) {
  (void)thread, (void)attr, (void)start, (void)arg;
  return EAGAIN;
}

WEAK pthread_t pthread_self(void) { return (pthread_t)&the_thread; }

#undef pthread_equal
WEAK int pthread_equal(pthread_t a, pthread_t b) { return a == b; }

WEAK int pthread_join(pthread_t thread, void** result) {
  (void)result;
  return thread == pthread_self() ? EDEADLK : ESRCH;
}

WEAK int pthread_tryjoin_np(pthread_t thread, void** result) { return pthread_join(thread, result); }

WEAK int pthread_timedjoin_np(pthread_t thread, void** result, const struct timespec* deadline) {
  (void)deadline;
  return pthread_join(thread, result);
}

WEAK int pthread_detach(pthread_t thread) { return thread == pthread_self() ? 0 : ESRCH; }

static void run_key_destructors(void);

// The last thread ends, so the process exits with status 0 (POSIX), after
// the cleanup handlers and the key destructors.
WEAK _Noreturn void pthread_exit(void* result) {
  (void)result;
  cancel_state = PTHREAD_CANCEL_DISABLE;
  while (cleanup_stack) {
    struct __ptcb* top = cleanup_stack;
    cleanup_stack = top->__next;
    top->__f(top->__x);
  }
  run_key_destructors();
  exit(0);
}

WEAK void _pthread_cleanup_push(struct __ptcb* cb, void (*f)(void*), void* x) {
  cb->__f = f;
  cb->__x = x;
  cb->__next = cleanup_stack;
  cleanup_stack = cb;
}

WEAK void _pthread_cleanup_pop(struct __ptcb* cb, int run) {
  cleanup_stack = cb->__next;
  if (run) cb->__f(cb->__x);
}

WEAK int pthread_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void)) {
  (void)prepare, (void)parent, (void)child;
  return 0;
}

// Cancellation of the calling thread only: deferred requests take effect
// at pthread_testcancel.

WEAK void pthread_testcancel(void) {
  if (cancel_pending && cancel_state == PTHREAD_CANCEL_ENABLE) {
    cancel_pending = 0;
    pthread_exit(PTHREAD_CANCELED);
  }
}

WEAK int pthread_cancel(pthread_t thread) {
  if (thread != pthread_self()) return ESRCH;
  cancel_pending = 1;
  if (cancel_type == PTHREAD_CANCEL_ASYNCHRONOUS) pthread_testcancel();
  return 0;
}

WEAK int pthread_setcancelstate(int state, int* old) {
  if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE) return EINVAL;
  if (old) *old = cancel_state;
  cancel_state = state;
  return 0;
}

WEAK int pthread_setcanceltype(int type, int* old) {
  if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS) return EINVAL;
  if (old) *old = cancel_type;
  cancel_type = type;
  if (type == PTHREAD_CANCEL_ASYNCHRONOUS) pthread_testcancel();
  return 0;
}

// Once.

WEAK int pthread_once(pthread_once_t* control, void (*init)(void)) {
  if (*control == 1) return 0;
  if (*control == 2) deadlock("pthread_once called from its own init routine");
  *control = 2;
  init();
  *control = 1;
  return 0;
}

// Keys: values of the one thread; destructors run at pthread_exit (not at
// exit, as on glibc and musl).

static struct {
  int used;
  void (*destructor)(void*);
  const void* value;
} keys[PTHREAD_KEYS_MAX];

WEAK int pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  for (unsigned i = 0; i < PTHREAD_KEYS_MAX; ++i) {
    if (!keys[i].used) {
      keys[i].used = 1;
      keys[i].destructor = destructor;
      keys[i].value = NULL;
      *key = i;
      return 0;
    }
  }
  return EAGAIN;
}

WEAK int pthread_key_delete(pthread_key_t key) {
  if (key >= PTHREAD_KEYS_MAX || !keys[key].used) return EINVAL;
  keys[key].used = 0;
  keys[key].value = NULL;
  return 0;
}

WEAK void* pthread_getspecific(pthread_key_t key) {
  return key < PTHREAD_KEYS_MAX && keys[key].used ? (void*)keys[key].value : NULL;
}

WEAK int pthread_setspecific(pthread_key_t key, const void* value) {
  if (key >= PTHREAD_KEYS_MAX || !keys[key].used) return EINVAL;
  keys[key].value = value;
  return 0;
}

static void run_key_destructors(void) {
  for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; ++round) {
    int ran = 0;
    for (unsigned i = 0; i < PTHREAD_KEYS_MAX; ++i) {
      if (keys[i].used && keys[i].value && keys[i].destructor) {
        void* value = (void*)keys[i].value;
        keys[i].value = NULL;
        keys[i].destructor(value);
        ran = 1;
      }
    }
    if (!ran) break;
  }
}

// Mutexes.

#define MUTEX_TYPE(m) ((m)->__u.__i[0])
#define MUTEX_DEPTH(m) ((m)->__u.__i[1])
// pthread_mutexattr_t.__attr: bits 0-1 type, bit 2 robust, bits 3-4
// protocol, bit 7 process-shared.
#define ATTR_TYPE(a) ((a)->__attr & 3u)
#define ATTR_ROBUST(a) (((a)->__attr >> 2) & 1u)
#define ATTR_PROTOCOL(a) (((a)->__attr >> 3) & 3u)
#define ATTR_PSHARED(a) (((a)->__attr >> 7) & 1u)

WEAK int pthread_mutex_init(pthread_mutex_t* restrict m, const pthread_mutexattr_t* restrict attr) {
  memset(m, 0, sizeof *m);
  if (attr) MUTEX_TYPE(m) = (int)ATTR_TYPE(attr);
  return 0;
}

WEAK int pthread_mutex_destroy(pthread_mutex_t* m) {
  (void)m;
  return 0;
}

WEAK int pthread_mutex_trylock(pthread_mutex_t* m) {
  if (MUTEX_DEPTH(m) == 0) {
    MUTEX_DEPTH(m) = 1;
    return 0;
  }
  if (MUTEX_TYPE(m) != PTHREAD_MUTEX_RECURSIVE) return EBUSY;
  if (MUTEX_DEPTH(m) == INT_MAX) return EAGAIN;
  ++MUTEX_DEPTH(m);
  return 0;
}

// Locking a normal or error-checking mutex the thread already holds could
// never succeed: EDEADLK, as wasi-libc's own single-threaded layer does.
WEAK int pthread_mutex_lock(pthread_mutex_t* m) {
  int result = pthread_mutex_trylock(m);
  return result == EBUSY ? EDEADLK : result;
}

WEAK int pthread_mutex_timedlock(pthread_mutex_t* restrict m, const struct timespec* restrict deadline) {
  int result = pthread_mutex_trylock(m);
  if (result != EBUSY) return result;
  if (MUTEX_TYPE(m) == PTHREAD_MUTEX_ERRORCHECK) return EDEADLK;
  return sleep_until(CLOCK_REALTIME, deadline);
}

WEAK int pthread_mutex_unlock(pthread_mutex_t* m) {
  if (MUTEX_DEPTH(m) == 0) return EPERM;
  --MUTEX_DEPTH(m);
  return 0;
}

WEAK int pthread_mutex_consistent(pthread_mutex_t* m) {
  (void)m;
  return EINVAL;  // a mutex never becomes inconsistent: its owner cannot die alone
}

WEAK int pthread_mutexattr_init(pthread_mutexattr_t* a) {
  a->__attr = 0;
  return 0;
}

WEAK int pthread_mutexattr_destroy(pthread_mutexattr_t* a) {
  (void)a;
  return 0;
}

WEAK int pthread_mutexattr_gettype(const pthread_mutexattr_t* restrict a, int* restrict type) {
  *type = (int)ATTR_TYPE(a);
  return 0;
}

WEAK int pthread_mutexattr_settype(pthread_mutexattr_t* a, int type) {
  if ((unsigned)type > PTHREAD_MUTEX_ERRORCHECK) return EINVAL;
  a->__attr = (a->__attr & ~3u) | (unsigned)type;
  return 0;
}

WEAK int pthread_mutexattr_getrobust(const pthread_mutexattr_t* restrict a, int* restrict robust) {
  *robust = (int)ATTR_ROBUST(a);
  return 0;
}

WEAK int pthread_mutexattr_setrobust(pthread_mutexattr_t* a, int robust) {
  if ((unsigned)robust > PTHREAD_MUTEX_ROBUST) return EINVAL;
  a->__attr = (a->__attr & ~4u) | ((unsigned)robust << 2);
  return 0;
}

WEAK int pthread_mutexattr_getprotocol(const pthread_mutexattr_t* restrict a, int* restrict protocol) {
  *protocol = (int)ATTR_PROTOCOL(a);
  return 0;
}

WEAK int pthread_mutexattr_setprotocol(pthread_mutexattr_t* a, int protocol) {
  if (protocol == PTHREAD_PRIO_PROTECT) return ENOTSUP;
  if ((unsigned)protocol > PTHREAD_PRIO_PROTECT) return EINVAL;
  a->__attr = (a->__attr & ~(3u << 3)) | ((unsigned)protocol << 3);
  return 0;
}

WEAK int pthread_mutexattr_getpshared(const pthread_mutexattr_t* restrict a, int* restrict pshared) {
  *pshared = (int)ATTR_PSHARED(a);
  return 0;
}

WEAK int pthread_mutexattr_setpshared(pthread_mutexattr_t* a, int pshared) {
  if ((unsigned)pshared > PTHREAD_PROCESS_SHARED) return EINVAL;
  a->__attr = (a->__attr & ~(1u << 7)) | ((unsigned)pshared << 7);
  return 0;
}

// Condition variables: nobody else can signal, so a wait without a
// deadline never ends and a timed wait always times out.

WEAK int pthread_cond_init(pthread_cond_t* restrict c, const pthread_condattr_t* restrict attr) {
  memset(c, 0, sizeof *c);
  if (attr) c->__u.__p[0] = (void*)(uintptr_t)(attr->__attr & ~1u);
  return 0;
}

WEAK int pthread_cond_destroy(pthread_cond_t* c) {
  (void)c;
  return 0;
}

WEAK int pthread_cond_signal(pthread_cond_t* c) {
  (void)c;
  return 0;
}

WEAK int pthread_cond_broadcast(pthread_cond_t* c) {
  (void)c;
  return 0;
}

WEAK int pthread_cond_wait(pthread_cond_t* restrict c, pthread_mutex_t* restrict m) {
  (void)c;
  if (MUTEX_DEPTH(m) == 0) return EPERM;
  pthread_testcancel();
  deadlock("pthread_cond_wait");
}

WEAK int pthread_cond_timedwait(pthread_cond_t* restrict c, pthread_mutex_t* restrict m,
                                const struct timespec* restrict deadline) {
  if (MUTEX_DEPTH(m) == 0) return EPERM;
  pthread_testcancel();
  return sleep_until(clock_of(c), deadline);  // the mutex is held again on return, as POSIX says
}

WEAK int pthread_condattr_init(pthread_condattr_t* a) {
  a->__attr = 0;
  return 0;
}

WEAK int pthread_condattr_destroy(pthread_condattr_t* a) {
  (void)a;
  return 0;
}

// pthread_condattr_t.__attr: the clock's address (wasi-libc's clockid_t is
// a pointer; 0 is CLOCK_REALTIME), bit 0 process-shared.
WEAK int pthread_condattr_setclock(pthread_condattr_t* a, clockid_t clock) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return EINVAL;
  uintptr_t address = clock == CLOCK_REALTIME ? 0 : (uintptr_t)clock;
  if (address & 1u) return EINVAL;
  a->__attr = (unsigned)address | (a->__attr & 1u);
  return 0;
}

WEAK int pthread_condattr_getclock(const pthread_condattr_t* restrict a, clockid_t* restrict clock) {
  uintptr_t address = a->__attr & ~1u;
  *clock = address ? (clockid_t)address : CLOCK_REALTIME;
  return 0;
}

WEAK int pthread_condattr_setpshared(pthread_condattr_t* a, int pshared) {
  if ((unsigned)pshared > PTHREAD_PROCESS_SHARED) return EINVAL;
  a->__attr = (a->__attr & ~1u) | (unsigned)pshared;
  return 0;
}

WEAK int pthread_condattr_getpshared(const pthread_condattr_t* restrict a, int* restrict pshared) {
  *pshared = (int)(a->__attr & 1u);
  return 0;
}

// Read-write locks.

#define READERS(rw) ((rw)->__u.__i[0])
#define WRITER(rw) ((rw)->__u.__i[1])

WEAK int pthread_rwlock_init(pthread_rwlock_t* restrict rw, const pthread_rwlockattr_t* restrict attr) {
  (void)attr;
  memset(rw, 0, sizeof *rw);
  return 0;
}

WEAK int pthread_rwlock_destroy(pthread_rwlock_t* rw) {
  (void)rw;
  return 0;
}

WEAK int pthread_rwlock_tryrdlock(pthread_rwlock_t* rw) {
  if (WRITER(rw)) return EBUSY;
  if (READERS(rw) == INT_MAX) return EAGAIN;
  ++READERS(rw);
  return 0;
}

WEAK int pthread_rwlock_rdlock(pthread_rwlock_t* rw) {
  int result = pthread_rwlock_tryrdlock(rw);
  return result == EBUSY ? EDEADLK : result;
}

WEAK int pthread_rwlock_timedrdlock(pthread_rwlock_t* restrict rw, const struct timespec* restrict deadline) {
  int result = pthread_rwlock_tryrdlock(rw);
  return result == EBUSY ? sleep_until(CLOCK_REALTIME, deadline) : result;
}

WEAK int pthread_rwlock_trywrlock(pthread_rwlock_t* rw) {
  if (WRITER(rw) || READERS(rw)) return EBUSY;
  WRITER(rw) = 1;
  return 0;
}

WEAK int pthread_rwlock_wrlock(pthread_rwlock_t* rw) {
  int result = pthread_rwlock_trywrlock(rw);
  return result == EBUSY ? EDEADLK : result;
}

WEAK int pthread_rwlock_timedwrlock(pthread_rwlock_t* restrict rw, const struct timespec* restrict deadline) {
  int result = pthread_rwlock_trywrlock(rw);
  return result == EBUSY ? sleep_until(CLOCK_REALTIME, deadline) : result;
}

WEAK int pthread_rwlock_unlock(pthread_rwlock_t* rw) {
  if (WRITER(rw)) {
    WRITER(rw) = 0;
  } else if (READERS(rw)) {
    --READERS(rw);
  } else {
    return EPERM;
  }
  return 0;
}

WEAK int pthread_rwlockattr_init(pthread_rwlockattr_t* a) {
  memset(a, 0, sizeof *a);
  return 0;
}

WEAK int pthread_rwlockattr_destroy(pthread_rwlockattr_t* a) {
  (void)a;
  return 0;
}

WEAK int pthread_rwlockattr_setpshared(pthread_rwlockattr_t* a, int pshared) {
  if ((unsigned)pshared > PTHREAD_PROCESS_SHARED) return EINVAL;
  a->__attr[0] = (unsigned)pshared;
  return 0;
}

WEAK int pthread_rwlockattr_getpshared(const pthread_rwlockattr_t* restrict a, int* restrict pshared) {
  *pshared = (int)a->__attr[0];
  return 0;
}

// Spin locks.

WEAK int pthread_spin_init(pthread_spinlock_t* s, int pshared) {
  (void)pshared;
  *s = 0;
  return 0;
}

WEAK int pthread_spin_destroy(pthread_spinlock_t* s) {
  (void)s;
  return 0;
}

WEAK int pthread_spin_trylock(pthread_spinlock_t* s) {
  if (*s) return EBUSY;
  *s = 1;
  return 0;
}

WEAK int pthread_spin_lock(pthread_spinlock_t* s) { return *s ? EDEADLK : pthread_spin_trylock(s); }

WEAK int pthread_spin_unlock(pthread_spinlock_t* s) {
  *s = 0;
  return 0;
}

// Barriers: one thread passes a barrier for one at once.

WEAK int pthread_barrier_init(pthread_barrier_t* restrict b, const pthread_barrierattr_t* restrict attr,
                              unsigned count) {
  (void)attr;
  if (count == 0 || count > INT_MAX) return EINVAL;
  memset(b, 0, sizeof *b);
  b->__u.__i[0] = (int)count;
  return 0;
}

WEAK int pthread_barrier_destroy(pthread_barrier_t* b) {
  (void)b;
  return 0;
}

WEAK int pthread_barrier_wait(pthread_barrier_t* b) {
  if (b->__u.__i[0] != 1) deadlock("pthread_barrier_wait for more than one thread");
  return PTHREAD_BARRIER_SERIAL_THREAD;
}

WEAK int pthread_barrierattr_init(pthread_barrierattr_t* a) {
  a->__attr = 0;
  return 0;
}

WEAK int pthread_barrierattr_destroy(pthread_barrierattr_t* a) {
  (void)a;
  return 0;
}

WEAK int pthread_barrierattr_setpshared(pthread_barrierattr_t* a, int pshared) {
  if ((unsigned)pshared > PTHREAD_PROCESS_SHARED) return EINVAL;
  a->__attr = (unsigned)pshared;
  return 0;
}

WEAK int pthread_barrierattr_getpshared(const pthread_barrierattr_t* restrict a, int* restrict pshared) {
  *pshared = (int)a->__attr;
  return 0;
}

// Thread attributes: recorded and reported; no thread is ever made.

#define ATTR_STACKSIZE(a) ((a)->__u.__s[0])
#define ATTR_GUARDSIZE(a) ((a)->__u.__s[1])
#define ATTR_STACKADDR(a) ((a)->__u.__s[2])
#define ATTR_DETACH(a) ((a)->__u.__i[3])

WEAK int pthread_attr_init(pthread_attr_t* a) {
  memset(a, 0, sizeof *a);
  ATTR_STACKSIZE(a) = 131072;  // wasi-libc's default thread stack
  ATTR_GUARDSIZE(a) = 4096;
  return 0;
}

WEAK int pthread_attr_destroy(pthread_attr_t* a) {
  (void)a;
  return 0;
}

WEAK int pthread_attr_getstacksize(const pthread_attr_t* restrict a, size_t* restrict size) {
  *size = ATTR_STACKSIZE(a);
  return 0;
}

WEAK int pthread_attr_setstacksize(pthread_attr_t* a, size_t size) {
  if (size < PTHREAD_STACK_MIN) return EINVAL;
  ATTR_STACKSIZE(a) = size;
  ATTR_STACKADDR(a) = 0;
  return 0;
}

WEAK int pthread_attr_getguardsize(const pthread_attr_t* restrict a, size_t* restrict size) {
  *size = ATTR_GUARDSIZE(a);
  return 0;
}

WEAK int pthread_attr_setguardsize(pthread_attr_t* a, size_t size) {
  ATTR_GUARDSIZE(a) = size;
  return 0;
}

WEAK int pthread_attr_getdetachstate(const pthread_attr_t* a, int* state) {
  *state = ATTR_DETACH(a);
  return 0;
}

WEAK int pthread_attr_setdetachstate(pthread_attr_t* a, int state) {
  if ((unsigned)state > PTHREAD_CREATE_DETACHED) return EINVAL;
  ATTR_DETACH(a) = state;
  return 0;
}

WEAK int pthread_attr_getstack(const pthread_attr_t* restrict a, void** restrict address, size_t* restrict size) {
  if (!ATTR_STACKADDR(a)) return EINVAL;
  *address = (void*)(ATTR_STACKADDR(a) - ATTR_STACKSIZE(a));
  *size = ATTR_STACKSIZE(a);
  return 0;
}

WEAK int pthread_attr_setstack(pthread_attr_t* a, void* address, size_t size) {
  if (size < PTHREAD_STACK_MIN || (uintptr_t)address > SIZE_MAX - size) return EINVAL;
  ATTR_STACKADDR(a) = (uintptr_t)address + size;
  ATTR_STACKSIZE(a) = size;
  return 0;
}
