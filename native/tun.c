// synack TUN addon: opens a Linux TUN device and tells JavaScript when its fd is readable.
//
// Plain N-API (no node-addon-api), no dependency beyond Node's own headers.
//
//   open(name: string, multiQueue?: boolean) -> { fd: number, name: string }
//       /dev/net/tun, IFF_TUN | IFF_NO_PI, O_NONBLOCK | O_CLOEXEC. `name` may be "" (kernel picks
//       tunN) or a template with %d. Throws an Error whose `code` is the errno name.
//   pollerNew(fd: number, onReadable: () => void) -> Poller   (a uv_poll_t on the loop, stopped)
//   pollerStart(p), pollerStop(p)                             (UV_READABLE on/off)
//   pollerRef(p, bool)                                        (keep the loop alive or not)
//   pollerClose(p)                                            (stop, uv_close, drop the callback)
//
// JavaScript reads with fs.readSync until EAGAIN and writes with fs.writeSync; it owns the fd
// and closes it (after pollerClose) with fs.closeSync.
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CHECK(env, call)                                                   \
  do {                                                                     \
    napi_status status_ = (call);                                          \
    if (status_ != napi_ok) {                                              \
      const napi_extended_error_info* info_ = NULL;                        \
      napi_get_last_error_info((env), &info_);                             \
      bool pending_ = false;                                               \
      napi_is_exception_pending((env), &pending_);                         \
      if (!pending_)                                                       \
        napi_throw_error((env), NULL,                                      \
                         info_ && info_->error_message ? info_->error_message \
                                                       : "N-API call failed"); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static const char* errno_code(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EBADF: return "EBADF";
    case ENOTTY: return "ENOTTY";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, int e, const char* what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s (%s)", what, strerror(e), errno_code(e));
  napi_throw_error(env, errno_code(e), msg);
  return NULL;
}

// ---- open ----------------------------------------------------------------------------------

static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  memset(name, 0, sizeof name);
  if (argc >= 1) {
    napi_valuetype t;
    CHECK(env, napi_typeof(env, argv[0], &t));
    if (t == napi_string) {
      size_t len = 0;
      CHECK(env, napi_get_value_string_utf8(env, argv[0], NULL, 0, &len));
      if (len >= IFNAMSIZ) {
        napi_throw_range_error(env, "EINVAL", "tun open: device name longer than 15 bytes");
        return NULL;
      }
      CHECK(env, napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len));
    } else if (t != napi_undefined && t != napi_null) {
      napi_throw_type_error(env, "EINVAL", "tun open: name must be a string");
      return NULL;
    }
  }
  bool multi = false;
  if (argc >= 2) {
    napi_valuetype t;
    CHECK(env, napi_typeof(env, argv[1], &t));
    if (t == napi_boolean) CHECK(env, napi_get_value_bool(env, argv[1], &multi));
  }

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open /dev/net/tun");

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0);
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "ioctl TUNSETIFF");
  }

  napi_value result, vfd, vname;
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_create_int32(env, fd, &vfd));
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';
  CHECK(env, napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &vname));
  CHECK(env, napi_set_named_property(env, result, "fd", vfd));
  CHECK(env, napi_set_named_property(env, result, "name", vname));
  return result;
}

// ---- poller --------------------------------------------------------------------------------

typedef struct Poller {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;       // the JS onReadable function (strong ref while open)
  napi_async_context ctx;  // so callbacks run with a proper async context + microtask drain
  int fd;
  int started;
  int closing;        // uv_close requested
  int handle_closed;  // uv_close callback ran
  int js_alive;       // the JS external has not been finalized
} Poller;

// p is freed once both owners let go: libuv (close callback ran) and JS (external finalized).
static void poller_closed(uv_handle_t* h) {
  Poller* p = (Poller*)h->data;
  p->handle_closed = 1;
  if (!p->js_alive) free(p);
}

static void poller_release(Poller* p) {
  if (p->closing) return;
  p->closing = 1;
  if (p->started) uv_poll_stop(&p->handle);
  p->started = 0;
  if (p->callback) {
    napi_delete_reference(p->env, p->callback);
    p->callback = NULL;
  }
  if (p->ctx) {
    napi_async_destroy(p->env, p->ctx);
    p->ctx = NULL;
  }
  uv_close((uv_handle_t*)&p->handle, poller_closed);
}

static void poller_env_cleanup(void* arg) {
  // Environment teardown (process exit, worker exit): make sure the handle is closed.
  Poller* p = (Poller*)arg;
  if (p->closing) return;
  p->closing = 1;
  if (p->started) uv_poll_stop(&p->handle);
  p->started = 0;
  uv_close((uv_handle_t*)&p->handle, poller_closed);
}

static void on_poll(uv_poll_t* h, int status, int events) {
  Poller* p = (Poller*)h->data;
  if (p->closing || !p->callback) return;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg, result;
  if (napi_get_reference_value(env, p->callback, &fn) == napi_ok && fn != NULL) {
    napi_get_global(env, &recv);  // MakeCallback needs an object receiver
    napi_create_int32(env, status, &arg);
    (void)events;
    napi_status s = napi_make_callback(env, p->ctx, recv, fn, 1, &arg, &result);
    if (s == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static Poller* get_poller(napi_env env, napi_value v) {
  void* data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "EINVAL", "expected a poller");
    return NULL;
  }
  return (Poller*)data;
}

static void poller_finalize(napi_env env, void* data, void* hint) {
  // The JS wrapper was collected. If the handle is still open, close it.
  (void)hint;
  Poller* p = (Poller*)data;
  p->js_alive = 0;
  if (!p->closing) {
    napi_remove_env_cleanup_hook(env, poller_env_cleanup, p);
    poller_release(p);  // frees p from the close callback
  } else if (p->handle_closed) {
    free(p);
  }
}

static napi_value poller_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "EINVAL", "pollerNew(fd, onReadable)");
    return NULL;
  }
  int32_t fd;
  CHECK(env, napi_get_value_int32(env, argv[0], &fd));
  napi_valuetype t;
  CHECK(env, napi_typeof(env, argv[1], &t));
  if (t != napi_function) {
    napi_throw_type_error(env, "EINVAL", "pollerNew: onReadable must be a function");
    return NULL;
  }
  uv_loop_t* loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));

  napi_value resource_name;
  CHECK(env, napi_create_string_utf8(env, "synack:TunPoll", NAPI_AUTO_LENGTH, &resource_name));

  Poller* p = (Poller*)calloc(1, sizeof *p);
  if (!p) return throw_errno(env, ENOMEM, "pollerNew");
  p->env = env;
  p->fd = fd;
  p->js_alive = 1;
  // Everything that can fail on the JS side first, so a failure leaves no libuv handle behind.
  napi_value ext;
  if (napi_async_init(env, NULL, resource_name, &p->ctx) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &p->callback) != napi_ok ||
      napi_create_external(env, p, poller_finalize, NULL, &ext) != napi_ok) {
    // (If the external was not created, nothing else points at p.)
    if (p->callback) napi_delete_reference(env, p->callback);
    if (p->ctx) napi_async_destroy(env, p->ctx);
    free(p);
    napi_throw_error(env, NULL, "pollerNew: N-API call failed");
    return NULL;
  }
  int r = uv_poll_init(loop, &p->handle, fd);
  if (r != 0) {
    // The external owns p now: mark it closed so its finalizer just frees it.
    p->closing = 1;
    p->handle_closed = 1;
    napi_delete_reference(env, p->callback);
    p->callback = NULL;
    napi_async_destroy(env, p->ctx);
    p->ctx = NULL;
    char msg[160];
    snprintf(msg, sizeof msg, "uv_poll_init: %s", uv_strerror(r));
    napi_throw_error(env, uv_err_name(r), msg);
    return NULL;
  }
  p->handle.data = p;
  CHECK(env, napi_add_env_cleanup_hook(env, poller_env_cleanup, p));
  return ext;
}

static napi_value poller_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Poller* p = get_poller(env, argc ? argv[0] : NULL);
  if (!p) return NULL;
  if (p->closing) {
    napi_throw_error(env, "EBADF", "poller is closed");
    return NULL;
  }
  if (!p->started) {
    int r = uv_poll_start(&p->handle, UV_READABLE, on_poll);
    if (r != 0) {
      char msg[160];
      snprintf(msg, sizeof msg, "uv_poll_start: %s", uv_strerror(r));
      napi_throw_error(env, uv_err_name(r), msg);
      return NULL;
    }
    p->started = 1;
  }
  return NULL;
}

static napi_value poller_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Poller* p = get_poller(env, argc ? argv[0] : NULL);
  if (!p) return NULL;
  if (p->started && !p->closing) uv_poll_stop(&p->handle);
  p->started = 0;
  return NULL;
}

static napi_value poller_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Poller* p = get_poller(env, argc ? argv[0] : NULL);
  if (!p) return NULL;
  bool on = true;
  if (argc >= 2) CHECK(env, napi_get_value_bool(env, argv[1], &on));
  if (p->closing) return NULL;
  if (on) uv_ref((uv_handle_t*)&p->handle);
  else uv_unref((uv_handle_t*)&p->handle);
  return NULL;
}

static napi_value poller_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Poller* p = get_poller(env, argc ? argv[0] : NULL);
  if (!p) return NULL;
  if (!p->closing) {
    napi_remove_env_cleanup_hook(env, poller_env_cleanup, p);
    poller_release(p);
  }
  return NULL;
}

// ---- module --------------------------------------------------------------------------------

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerNew", NULL, poller_new, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerStart", NULL, poller_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerStop", NULL, poller_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerRef", NULL, poller_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerClose", NULL, poller_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
