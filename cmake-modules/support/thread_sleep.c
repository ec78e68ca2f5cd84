// Sleeping in a wasm32-wasip1-threads module without holding up the other
// threads. The runner serialises preview-1 calls (one WASI state shared by
// every thread, docs/design-notes.md "Threads"), so a sleep that is a
// __wasi_poll_oneoff call would keep every other thread from printing or
// reading until it ends. wasi-libc's sleeps (sleep, usleep, nanosleep,
// clock_nanosleep, std::this_thread::sleep_for) and poll()/select() with
// no descriptors all end in __wasi_poll_oneoff with clock subscriptions
// only: the toolchain file wraps that call for threads targets
// (-Wl,--wrap=__wasi_poll_oneoff), and such a poll waits here, in the
// guest, with memory.atomic.wait on a word nobody notifies, which times
// out when the earliest clock would have fired. Only the clock reads are
// WASI calls. Anything else (a descriptor to wait for, a clock the host
// cannot read) goes to wasi-libc's call unchanged.
#if defined(_REENTRANT) && !defined(__wasip2__) && __has_include(<wasi/api.h>)

#include <stdint.h>
#include <wasi/api.h>

__wasi_errno_t __real___wasi_poll_oneoff(const __wasi_subscription_t* in, __wasi_event_t* out,
                                         __wasi_size_t subscriptions, __wasi_size_t* events);

// Never notified: a wait on it lasts until its timeout.
static int32_t nobody_wakes_this;

// Nanoseconds until the subscription fires, or -1 when its clock cannot
// be read here.
static int64_t remaining(const __wasi_subscription_clock_t* clock) {
  if (!(clock->flags & __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME)) {
    return clock->timeout > INT64_MAX ? INT64_MAX : (int64_t)clock->timeout;
  }
  __wasi_timestamp_t now = 0;
  if (__wasi_clock_time_get(clock->id, 1, &now) != __WASI_ERRNO_SUCCESS) return -1;
  return clock->timeout > now ? (int64_t)(clock->timeout - now) : 0;
}

__wasi_errno_t __wrap___wasi_poll_oneoff(const __wasi_subscription_t* in, __wasi_event_t* out,
                                         __wasi_size_t subscriptions, __wasi_size_t* events) {
  if (subscriptions == 0) return __real___wasi_poll_oneoff(in, out, subscriptions, events);
  __wasi_size_t first = 0;
  int64_t shortest = INT64_MAX;
  for (__wasi_size_t i = 0; i < subscriptions; ++i) {
    if (in[i].u.tag != __WASI_EVENTTYPE_CLOCK) return __real___wasi_poll_oneoff(in, out, subscriptions, events);
    const int64_t wait = remaining(&in[i].u.u.clock);
    if (wait < 0) return __real___wasi_poll_oneoff(in, out, subscriptions, events);
    if (wait < shortest) {
      shortest = wait;
      first = i;
    }
  }
  __wasi_timestamp_t start = 0;
  if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &start) != __WASI_ERRNO_SUCCESS) {
    return __real___wasi_poll_oneoff(in, out, subscriptions, events);
  }
  const __wasi_timestamp_t deadline = start + (__wasi_timestamp_t)shortest;
  for (__wasi_timestamp_t now = start; now < deadline;) {
    (void)__builtin_wasm_memory_atomic_wait32(&nobody_wakes_this, 0, (int64_t)(deadline - now));
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now) != __WASI_ERRNO_SUCCESS) break;
  }
  out[0] = (__wasi_event_t){.userdata = in[first].userdata, .error = __WASI_ERRNO_SUCCESS,
                            .type = __WASI_EVENTTYPE_CLOCK};
  *events = 1;
  return __WASI_ERRNO_SUCCESS;
}

#endif
