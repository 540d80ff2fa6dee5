//go:build cgo && linux

package gpu

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUmodule;
typedef void *CUfunction;
typedef unsigned long long CUdeviceptr;

static void *lib;
static CUresult (*p_cuInit)(unsigned int);
static CUresult (*p_cuDriverGetVersion)(int *);
static CUresult (*p_cuDeviceGetCount)(int *);
static CUresult (*p_cuDeviceGet)(CUdevice *, int);
static CUresult (*p_cuDeviceGetName)(char *, int, CUdevice);
static CUresult (*p_cuDeviceTotalMem)(size_t *, CUdevice);
static CUresult (*p_cuDeviceGetAttribute)(int *, int, CUdevice);
static CUresult (*p_cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
static CUresult (*p_cuDevicePrimaryCtxRelease)(CUdevice);
static CUresult (*p_cuCtxSetCurrent)(CUcontext);
static CUresult (*p_cuCtxSynchronize)(void);
static CUresult (*p_cuModuleLoadData)(CUmodule *, const void *);
static CUresult (*p_cuModuleUnload)(CUmodule);
static CUresult (*p_cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
static CUresult (*p_cuMemAlloc)(CUdeviceptr *, size_t);
static CUresult (*p_cuMemFree)(CUdeviceptr);
static CUresult (*p_cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
static CUresult (*p_cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
static CUresult (*p_cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                                    unsigned, void *, void **, void **);
static CUresult (*p_cuGetErrorString)(CUresult, const char **);
static CUresult (*p_cuMemGetInfo)(size_t *, size_t *);
static CUresult (*p_cuMemHostAlloc)(void **, size_t, unsigned int);
static CUresult (*p_cuMemFreeHost)(void *);
static CUresult (*p_cuMemHostGetDevicePointer)(CUdeviceptr *, void *, unsigned int);
static CUresult (*p_cuModuleLoadDataEx)(CUmodule *, const void *, unsigned int, int *, void **);
static CUresult (*p_cuDevicePrimaryCtxReset)(CUdevice);

// Resolve one symbol; the _v2 names are the current ABI of the 64-bit calls.
#define SYM(var, name) if (!(*(void **)(&var) = dlsym(lib, name))) { snprintf(err, errlen, "libcuda.so.1 lacks %s", name); return -1; }

static int cu_load(char *err, int errlen) {
	if (lib) return 0;
	lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib) { snprintf(err, errlen, "%s", dlerror()); return -1; }
	SYM(p_cuInit, "cuInit");
	SYM(p_cuDriverGetVersion, "cuDriverGetVersion");
	SYM(p_cuDeviceGetCount, "cuDeviceGetCount");
	SYM(p_cuDeviceGet, "cuDeviceGet");
	SYM(p_cuDeviceGetName, "cuDeviceGetName");
	SYM(p_cuDeviceTotalMem, "cuDeviceTotalMem_v2");
	SYM(p_cuDeviceGetAttribute, "cuDeviceGetAttribute");
	SYM(p_cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
	SYM(p_cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
	SYM(p_cuCtxSetCurrent, "cuCtxSetCurrent");
	SYM(p_cuCtxSynchronize, "cuCtxSynchronize");
	SYM(p_cuModuleLoadData, "cuModuleLoadData");
	SYM(p_cuModuleUnload, "cuModuleUnload");
	SYM(p_cuModuleGetFunction, "cuModuleGetFunction");
	SYM(p_cuMemAlloc, "cuMemAlloc_v2");
	SYM(p_cuMemFree, "cuMemFree_v2");
	SYM(p_cuMemcpyHtoD, "cuMemcpyHtoD_v2");
	SYM(p_cuMemcpyDtoH, "cuMemcpyDtoH_v2");
	SYM(p_cuLaunchKernel, "cuLaunchKernel");
	SYM(p_cuGetErrorString, "cuGetErrorString");
	SYM(p_cuMemGetInfo, "cuMemGetInfo_v2");
	SYM(p_cuMemHostAlloc, "cuMemHostAlloc");
	SYM(p_cuMemFreeHost, "cuMemFreeHost");
	SYM(p_cuMemHostGetDevicePointer, "cuMemHostGetDevicePointer_v2");
	SYM(p_cuModuleLoadDataEx, "cuModuleLoadDataEx");
	// Optional: without it a faulted context is rebuilt by release and retain.
	*(void **)(&p_cuDevicePrimaryCtxReset) = dlsym(lib, "cuDevicePrimaryCtxReset_v2");
	return 0;
}

// Trampolines: cgo cannot call C function pointers directly.
static CUresult cu_init(void) { return p_cuInit(0); }
static CUresult cu_driver_version(int *v) { return p_cuDriverGetVersion(v); }
static CUresult cu_device_count(int *n) { return p_cuDeviceGetCount(n); }
static CUresult cu_device_get(CUdevice *d, int i) { return p_cuDeviceGet(d, i); }
static CUresult cu_device_name(char *s, int n, CUdevice d) { return p_cuDeviceGetName(s, n, d); }
static CUresult cu_device_mem(size_t *b, CUdevice d) { return p_cuDeviceTotalMem(b, d); }
static CUresult cu_device_attr(int *v, int a, CUdevice d) { return p_cuDeviceGetAttribute(v, a, d); }
static CUresult cu_ctx_retain(CUcontext *c, CUdevice d) { return p_cuDevicePrimaryCtxRetain(c, d); }
static CUresult cu_ctx_release(CUdevice d) { return p_cuDevicePrimaryCtxRelease(d); }
static CUresult cu_ctx_set(CUcontext c) { return p_cuCtxSetCurrent(c); }
static CUresult cu_sync(void) { return p_cuCtxSynchronize(); }
static CUresult cu_module_unload(CUmodule m) { return p_cuModuleUnload(m); }
static CUresult cu_function(CUfunction *f, CUmodule m, const char *name) { return p_cuModuleGetFunction(f, m, name); }
static CUresult cu_alloc(CUdeviceptr *p, size_t n) { return p_cuMemAlloc(p, n); }
static CUresult cu_free(CUdeviceptr p) { return p_cuMemFree(p); }
static CUresult cu_htod(CUdeviceptr d, const void *h, size_t n) { return p_cuMemcpyHtoD(d, h, n); }
static CUresult cu_dtoh(void *h, CUdeviceptr d, size_t n) { return p_cuMemcpyDtoH(h, d, n); }
static CUresult cu_mem_info(size_t *free_bytes, size_t *total) { return p_cuMemGetInfo(free_bytes, total); }
// cu_host_alloc allocates pinned host memory mapped into the device's
// address space (CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP) and
// returns both addresses.
static CUresult cu_host_alloc(void **host, CUdeviceptr *dev, size_t n) {
	CUresult r = p_cuMemHostAlloc(host, n, 0x01 | 0x02);
	if (r != 0) return r;
	r = p_cuMemHostGetDevicePointer(dev, *host, 0);
	if (r != 0) { p_cuMemFreeHost(*host); *host = 0; }
	return r;
}
static CUresult cu_host_free(void *host) { return p_cuMemFreeHost(host); }
static const char *cu_error(CUresult r) {
	const char *s = 0;
	if (!p_cuGetErrorString || p_cuGetErrorString(r, &s) != 0 || !s) return "unknown CUDA error";
	return s;
}

// cu_launch launches f on a 1-D grid. args is one C buffer holding the
// kernel arguments back to back; offsets[i] is where argument i starts.
static CUresult cu_launch(CUfunction f, unsigned grid, unsigned block, char *args, const int *offsets, int nargs) {
	void *params[16];
	for (int i = 0; i < nargs && i < 16; i++) params[i] = args + offsets[i];
	return p_cuLaunchKernel(f, grid, 1, 1, block, 1, 1, 0, 0, params, 0);
}

// Module loading and context recovery (cuda.h CUjit_option values).
enum {
	JIT_INFO_LOG_BUFFER = 3,
	JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
	JIT_ERROR_LOG_BUFFER = 5,
	JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
};

// cu_module_load_ex loads a NUL-terminated PTX image, the JIT's error and
// info logs written NUL-terminated into errlog and infolog.
static CUresult cu_module_load_ex(CUmodule *m, const void *ptx, char *errlog, unsigned errlen, char *infolog, unsigned infolen) {
	int opts[4] = {JIT_ERROR_LOG_BUFFER, JIT_ERROR_LOG_BUFFER_SIZE_BYTES, JIT_INFO_LOG_BUFFER, JIT_INFO_LOG_BUFFER_SIZE_BYTES};
	void *vals[4] = {errlog, (void *)(size_t)errlen, infolog, (void *)(size_t)infolen};
	errlog[0] = 0, infolog[0] = 0;
	CUresult r = p_cuModuleLoadDataEx(m, ptx, 4, opts, vals);
	errlog[errlen - 1] = 0, infolog[infolen - 1] = 0;
	return r;
}
static int cu_has_ctx_reset(void) { return p_cuDevicePrimaryCtxReset != 0; }
static CUresult cu_ctx_reset(CUdevice d) { return p_cuDevicePrimaryCtxReset(d); }
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"
)

// Device attributes (cuda.h CUdevice_attribute).
const (
	attrMultiprocessors = 16
	attrCCMajor         = 75
	attrCCMinor         = 76
)

var loadOnce struct {
	sync.Once
	err error
}

// loadDriver dlopens libcuda.so.1 and cuInit()s it, once per process.
func loadDriver() error {
	loadOnce.Do(func() {
		var buf [256]C.char
		if C.cu_load(&buf[0], C.int(len(buf))) != 0 {
			loadOnce.err = fmt.Errorf("%w: %s", ErrNoDriver, C.GoString(&buf[0]))
			return
		}
		if r := C.cu_init(); r != 0 {
			loadOnce.err = fmt.Errorf("%w: cuInit: %s", ErrNoDriver, C.GoString(C.cu_error(r)))
		}
	})
	return loadOnce.err
}

// cuError is a failed driver call: the call, its CUresult and the
// driver's message for it.
type cuError struct {
	what string
	code int
	msg  string
}

func (e *cuError) Error() string { return fmt.Sprintf("CUDA %s: %s (error %d)", e.what, e.msg, e.code) }

// check turns a CUresult into nil or a *cuError naming the call.
func check(what string, r C.CUresult) error {
	if r == 0 {
		return nil
	}
	return &cuError{what: what, code: int(r), msg: C.GoString(C.cu_error(r))}
}

// stickyErrors are the CUresult values (cuda.h) after which the context is
// unusable — "any further CUDA work will return the same error" — and its
// memory lost: faults while a kernel ran (illegal or misaligned address,
// illegal instruction, stack error, invalid PC or address space, a launch
// failure or timeout, a device-side assert, a tensor-memory leak, an
// external device's error), and a context destroyed under us.
var stickyErrors = map[int]string{
	700: "CUDA_ERROR_ILLEGAL_ADDRESS",
	702: "CUDA_ERROR_LAUNCH_TIMEOUT",
	709: "CUDA_ERROR_CONTEXT_IS_DESTROYED",
	710: "CUDA_ERROR_ASSERT",
	714: "CUDA_ERROR_HARDWARE_STACK_ERROR",
	715: "CUDA_ERROR_ILLEGAL_INSTRUCTION",
	716: "CUDA_ERROR_MISALIGNED_ADDRESS",
	717: "CUDA_ERROR_INVALID_ADDRESS_SPACE",
	718: "CUDA_ERROR_INVALID_PC",
	719: "CUDA_ERROR_LAUNCH_FAILED",
	721: "CUDA_ERROR_TENSOR_MEMORY_LEAK",
	911: "CUDA_ERROR_EXTERNAL_DEVICE",
}

// stickyCode is the CUresult of the first driver error in err's chain
// when it is sticky, else 0. Errors that leave the context usable — a bad
// launch configuration, out of memory, a PTX the JIT refuses — are 0.
func stickyCode(err error) int {
	var e *cuError
	if errors.As(err, &e) {
		if _, ok := stickyErrors[e.code]; ok {
			return e.code
		}
	}
	return 0
}

// primary is device 0's primary context as this process shares it: every
// driver opened on the device retains the same context, so mu serializes
// all work on it, and gen counts its resets (a reset by one driver takes
// every driver's module and device memory with it).
var primary struct {
	mu  sync.Mutex
	gen uint64
}

// driver is one device's primary context with the PoCPS module loaded.
type driver struct {
	dev   C.CUdevice
	ctx   C.CUcontext
	mod   C.CUmodule
	funcs map[string]C.CUfunction
	// info is read by describe without primary.mu (a seal holds that for
	// minutes); infoMu guards it against a reload rewriting PTX.
	infoMu sync.Mutex
	info   Info
	arch   string // the PTX loaded: "sm_90a", "sm_80" or "sm_70"
	// ptx are the PTX images to try, best first (ptxFor).
	ptx []ptxImage
	// gen is the primary.gen that ctx, mod and every devBuf allocated
	// since belong to.
	gen uint64
	// broken is the sticky error that killed the context while it is not
	// rebuilt yet; nil when the context is usable.
	broken  error
	cleanup bool
	// kernel is the kernel set (KernelTiled, KernelSimple).
	kernel string
	// inUse and peak count the bytes this driver has allocated on the
	// device (now, and at most since it opened or since ResetPeak).
	// Atomic: Memory reads them without the driver's lock (a seal's
	// progress callback runs under it).
	inUse, peak atomic.Uint64
}

// newDriver opens device 0, retains its primary context and loads the
// best PTX for its compute capability that the driver's JIT accepts
// (sm_90a on Hopper, falling back to sm_80; Info.PTX says which and why).
// Errors: ErrNoDriver without a driver or device, a driver call that
// failed (named, with its CUresult), or every PTX refused — then the error
// names each PTX tried with its JIT error log.
func newDriver() (*driver, error) {
	if err := loadDriver(); err != nil {
		return nil, err
	}
	var n C.int
	if err := check("cuDeviceGetCount", C.cu_device_count(&n)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDriver, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: the driver sees no CUDA device", ErrNoDriver)
	}
	d := &driver{funcs: map[string]C.CUfunction{}}
	if err := check("cuDeviceGet", C.cu_device_get(&d.dev, 0)); err != nil {
		return nil, err
	}
	var name [256]C.char
	var mem C.size_t
	var version, major, minor, sms C.int
	if err := firstErr(
		check("device name (cuDeviceGetName)", C.cu_device_name(&name[0], C.int(len(name)), d.dev)),
		check("device memory (cuDeviceTotalMem_v2)", C.cu_device_mem(&mem, d.dev)),
		check("driver version (cuDriverGetVersion)", C.cu_driver_version(&version)),
		check("compute capability (cuDeviceGetAttribute)", C.cu_device_attr(&major, attrCCMajor, d.dev)),
		check("compute capability (cuDeviceGetAttribute)", C.cu_device_attr(&minor, attrCCMinor, d.dev)),
		check("multiprocessors (cuDeviceGetAttribute)", C.cu_device_attr(&sms, attrMultiprocessors, d.dev)),
	); err != nil {
		return nil, err
	}
	d.info = Info{
		Backend:     BackendCUDA,
		Device:      C.GoString(&name[0]),
		MemoryBytes: uint64(mem),
		Driver:      fmt.Sprintf("%d.%d", int(version)/1000, int(version)%1000/10),
		Compute:     fmt.Sprintf("%d.%d", int(major), int(minor)),
		Workers:     int(sms),
	}
	images, err := ptxFor(int(major), int(minor))
	if err != nil {
		return nil, err
	}
	d.ptx = images
	primary.mu.Lock()
	defer primary.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := check("primary context (cuDevicePrimaryCtxRetain)", C.cu_ctx_retain(&d.ctx, d.dev)); err != nil {
		return nil, err
	}
	d.gen = primary.gen
	if err := check("set context (cuCtxSetCurrent)", C.cu_ctx_set(d.ctx)); err != nil {
		C.cu_ctx_release(d.dev)
		return nil, err
	}
	if err := d.loadModule(); err != nil {
		C.cu_ctx_release(d.dev)
		return nil, err
	}
	return d, nil
}

var kernelNames = []string{"label_layer", "label_leaves", "merkle_level", "walk", "prg_fill", "transpose_b", "gather_rows", "gemm_s8", "row_segments", "row_leaves", "prg_fill_bt", "gemm_s8_tiled", "merkle_levels"}

// jitLogSize bounds each JIT log captured by cuModuleLoadDataEx.
const jitLogSize = 8 << 10

// loadModule loads the first of d.ptx that the driver's JIT accepts and
// whose kernels are all found, and sets d.mod, d.funcs, d.arch and
// d.info.PTX. A PTX refused for any reason but a sticky error is recorded
// with its JIT error log and the next one is tried; when none loads the
// error names every PTX tried with its CUDA error and JIT logs. The
// context must be current on a locked thread.
func (d *driver) loadModule() error {
	var refused, failed []string
	for _, img := range d.ptx {
		jitLog, err := d.loadPTX(img)
		if err == nil {
			d.arch = img.arch
			desc := img.arch
			if len(refused) > 0 {
				desc = fmt.Sprintf("%s (%s)", img.arch, strings.Join(refused, "; "))
			}
			d.infoMu.Lock()
			d.info.PTX = desc
			d.infoMu.Unlock()
			return nil
		}
		if stickyCode(err) != 0 {
			return err
		}
		why := err.Error()
		var ce *cuError
		if errors.As(err, &ce) && jitLog != "" {
			why = fmt.Sprintf("error %d: %s", ce.code, jitLog)
		}
		refused = append(refused, img.arch+" failed: "+why)
		failed = append(failed, fmt.Sprintf("[%s] %v", img.arch, err))
	}
	return fmt.Errorf("CUDA: no embedded PTX loads on this device (compute %s), tried %d: %s", d.info.Compute, len(failed), strings.Join(failed, " | "))
}

// loadPTX loads one PTX image with cuModuleLoadDataEx, capturing the JIT's
// error and info logs, and looks up every kernel in it. On success d.mod
// and d.funcs are the new module's; on failure nothing is kept and the
// trimmed JIT error log comes back with the error (which carries both logs).
func (d *driver) loadPTX(img ptxImage) (jitLog string, err error) {
	src := C.CString(img.src)
	defer C.free(unsafe.Pointer(src))
	errBuf := (*C.char)(C.malloc(jitLogSize))
	defer C.free(unsafe.Pointer(errBuf))
	infoBuf := (*C.char)(C.malloc(jitLogSize))
	defer C.free(unsafe.Pointer(infoBuf))
	var mod C.CUmodule
	r := C.cu_module_load_ex(&mod, unsafe.Pointer(src), errBuf, jitLogSize, infoBuf, jitLogSize)
	errLog, infoLog := trimLog(C.GoString(errBuf)), trimLog(C.GoString(infoBuf))
	if err := check("load PTX "+img.arch+" (cuModuleLoadDataEx)", r); err != nil {
		return errLog, fmt.Errorf("%w; JIT error log: %s; JIT info log: %s", err, orNone(errLog), orNone(infoLog))
	}
	funcs := make(map[string]C.CUfunction, len(kernelNames))
	for _, fn := range kernelNames {
		cname := C.CString(fn)
		var f C.CUfunction
		r := C.cu_function(&f, mod, cname)
		C.free(unsafe.Pointer(cname))
		if err := check("kernel "+fn+" in PTX "+img.arch+" (cuModuleGetFunction)", r); err != nil {
			C.cu_module_unload(mod)
			return "", err
		}
		funcs[fn] = f
	}
	d.mod, d.funcs = mod, funcs
	return "", nil
}

// trimLog folds a JIT log onto one line ("; " between its lines) and cuts
// it to 400 bytes.
func trimLog(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	s = strings.Join(lines, "; ")
	const limit = 400
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// do runs f on a locked OS thread with the context current: CUDA contexts
// are current per thread, goroutines are not threads. When f fails with a
// sticky error the context is dead: do resets it and reloads the module
// before returning, and the error wraps ErrDeviceReset (device memory was
// lost; the next call works) or, when the rebuild failed, ErrDeviceLost
// (the next call tries again). A context another driver on the device
// reset since d's last call is rejoined first (new handle, module reloaded).
func (d *driver) do(f func() error) error {
	primary.mu.Lock()
	defer primary.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if d.broken != nil {
		if err := d.rebuild(); err != nil {
			return fmt.Errorf("%w: %w; rebuilding the context: %v", ErrDeviceLost, d.broken, err)
		}
	} else if d.gen != primary.gen {
		if err := d.rejoin(); err != nil {
			return fmt.Errorf("%w: another prover reset the device and rejoining it failed: %w", ErrDeviceLost, err)
		}
	}
	err := check("set context (cuCtxSetCurrent)", C.cu_ctx_set(d.ctx))
	if err == nil {
		err = f()
	}
	code := stickyCode(err)
	if code == 0 {
		return err
	}
	d.broken = err
	if rerr := d.rebuild(); rerr != nil {
		return fmt.Errorf("%w: %s: %w; rebuilding the context: %v", ErrDeviceLost, stickyErrors[code], err, rerr)
	}
	return fmt.Errorf("%w: %s: %w", ErrDeviceReset, stickyErrors[code], err)
}

// rebuild replaces the dead context of d.broken: it resets the primary
// context (cuDevicePrimaryCtxReset_v2, which frees every allocation in
// it; without that entry point, release and retain, which destroys the
// context when no other retain holds it), takes the new context, reloads
// the PTX and checks the context with a small copy to the device and
// back. On success d.broken is cleared and primary.gen has moved on, so
// every devBuf from before is stale.
func (d *driver) rebuild() error {
	if d.gen == primary.gen {
		// Not yet reset by another driver: reset it here. The old module
		// goes with the context; unloading it from a dead one is refused.
		if C.cu_has_ctx_reset() != 0 {
			if err := check("reset the primary context (cuDevicePrimaryCtxReset_v2)", C.cu_ctx_reset(d.dev)); err != nil {
				return err
			}
		} else {
			C.cu_ctx_release(d.dev)
			var ctx C.CUcontext
			if err := check("retain the primary context (cuDevicePrimaryCtxRetain)", C.cu_ctx_retain(&ctx, d.dev)); err != nil {
				return err
			}
			d.ctx = ctx
		}
		primary.gen++
	}
	if err := d.rejoin(); err != nil {
		return err
	}
	if err := d.probe(); err != nil {
		return err
	}
	d.broken = nil
	return nil
}

// rejoin takes the primary context's current handle (retain, then release
// the extra reference: d keeps the one newDriver took), makes it current
// and reloads the module, for primary.gen.
func (d *driver) rejoin() error {
	var ctx C.CUcontext
	if err := check("retain the primary context (cuDevicePrimaryCtxRetain)", C.cu_ctx_retain(&ctx, d.dev)); err != nil {
		return err
	}
	C.cu_ctx_release(d.dev)
	d.ctx, d.mod, d.funcs = ctx, nil, map[string]C.CUfunction{}
	if err := check("set context (cuCtxSetCurrent)", C.cu_ctx_set(ctx)); err != nil {
		return err
	}
	if err := d.loadModule(); err != nil {
		return err
	}
	d.gen = primary.gen
	return nil
}

// probe checks that the context does work: 16 bytes to the device and
// back, and a synchronize.
func (d *driver) probe() error {
	var p C.CUdeviceptr
	if err := check("probe (cuMemAlloc_v2)", C.cu_alloc(&p, 16)); err != nil {
		return err
	}
	defer C.cu_free(p)
	out := []byte("loopin ctx probe")
	back := make([]byte, len(out))
	if err := firstErr(
		check("probe (cuMemcpyHtoD_v2)", C.cu_htod(p, unsafe.Pointer(&out[0]), C.size_t(len(out)))),
		check("probe (cuMemcpyDtoH_v2)", C.cu_dtoh(unsafe.Pointer(&back[0]), p, C.size_t(len(back)))),
		check("probe (cuCtxSynchronize)", C.cu_sync()),
	); err != nil {
		return err
	}
	if string(back) != string(out) {
		return errors.New("probe: the bytes copied back differ from those copied to the device")
	}
	return nil
}

// describe is the device's Info, with the PTX loaded now.
func (d *driver) describe() Info {
	d.infoMu.Lock()
	defer d.infoMu.Unlock()
	return d.info
}

// stale is an error wrapping ErrDeviceReset for a devBuf allocated in a
// context that was reset since (its memory went with it), else nil.
func (d *driver) stale(b devBuf) error {
	if b.ptr != 0 && b.gen != d.gen {
		return fmt.Errorf("%w: a device buffer of %d bytes predates the reset", ErrDeviceReset, b.size)
	}
	return nil
}

// devBuf is device memory: an allocation (owner) or a range of one.
type devBuf struct {
	ptr   C.CUdeviceptr
	size  uint64
	owner bool
	gen   uint64 // the context generation it was allocated in (driver.gen)
}

// at returns bytes [off, off+size) of b, a view that free ignores.
func (b devBuf) at(off, size uint64) devBuf {
	if off+size > b.size {
		panic(fmt.Sprintf("gpu: device range [%d, %d) outside a buffer of %d bytes", off, off+size, b.size))
	}
	return devBuf{ptr: b.ptr + C.CUdeviceptr(off), size: size, gen: b.gen}
}

func (d *driver) alloc(size uint64) (devBuf, error) {
	var p C.CUdeviceptr
	if r := C.cu_alloc(&p, C.size_t(max(size, 1))); r != 0 {
		err := check(fmt.Sprintf("alloc %s", FormatBytes(size)), r)
		if r == cudaErrorOutOfMemory {
			free, total, _ := d.memInfo()
			err = fmt.Errorf("%w: %w (%s free of %s, %s held by this prover)", ErrDeviceMemory, err, FormatBytes(free), FormatBytes(total), FormatBytes(d.inUse.Load()))
		}
		return devBuf{}, err
	}
	now := d.inUse.Add(size)
	for peak := d.peak.Load(); now > peak && !d.peak.CompareAndSwap(peak, now); peak = d.peak.Load() {
	}
	return devBuf{ptr: p, size: size, owner: true, gen: d.gen}, nil
}

// cudaErrorOutOfMemory is CUDA_ERROR_OUT_OF_MEMORY (cuda.h).
const cudaErrorOutOfMemory = 2

func (d *driver) free(b devBuf) {
	if b.ptr != 0 && b.owner && b.gen == d.gen { // never into a context that replaced b's
		C.cu_free(b.ptr)
		d.inUse.Add(-b.size)
	}
}

// hostBuf is pinned host memory the device reads through dev (mapped).
type hostBuf struct {
	host unsafe.Pointer
	dev  devBuf
}

// allocHost allocates size bytes of pinned, device-mapped host memory.
func (d *driver) allocHost(size uint64) (hostBuf, error) {
	var h unsafe.Pointer
	var p C.CUdeviceptr
	if err := check(fmt.Sprintf("pinned host alloc %s", FormatBytes(size)), C.cu_host_alloc(&h, &p, C.size_t(max(size, 1)))); err != nil {
		return hostBuf{}, err
	}
	return hostBuf{host: h, dev: devBuf{ptr: p, size: size, gen: d.gen}}, nil
}

func (d *driver) freeHost(b hostBuf) {
	if b.host != nil {
		C.cu_host_free(b.host)
	}
}

// bytes is the host side of b.
func (b hostBuf) bytes() []byte { return unsafe.Slice((*byte)(b.host), b.dev.size) }

// memInfo returns the device's free and total memory (cuMemGetInfo).
func (d *driver) memInfo() (free, total uint64, err error) {
	var f, t C.size_t
	if err := check("memory info", C.cu_mem_info(&f, &t)); err != nil {
		return 0, 0, err
	}
	return uint64(f), uint64(t), nil
}

func (d *driver) upload(b devBuf, data []byte) error {
	if err := d.stale(b); err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	return check("copy to device", C.cu_htod(b.ptr, unsafe.Pointer(&data[0]), C.size_t(len(data))))
}

func (d *driver) download(b devBuf, data []byte) error {
	if err := d.stale(b); err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	return check("copy from device", C.cu_dtoh(unsafe.Pointer(&data[0]), b.ptr, C.size_t(len(data))))
}

// launch queues kernel over n threads in blocks of block threads, without
// waiting for it (launches run in order; a copy or sync waits for them).
// Arguments are devBuf (a device pointer), uint32 or uint64, in kernel order.
func (d *driver) launch(kernel string, n uint64, block uint32, args ...any) error {
	f, ok := d.funcs[kernel]
	if !ok {
		return fmt.Errorf("no kernel %q", kernel)
	}
	var raw []byte
	offsets := make([]C.int, len(args))
	for i, a := range args {
		for len(raw)%8 != 0 {
			raw = append(raw, 0)
		}
		offsets[i] = C.int(len(raw))
		switch v := a.(type) {
		case devBuf:
			if err := d.stale(v); err != nil {
				return fmt.Errorf("kernel %s: argument %d: %w", kernel, i, err)
			}
			raw = binary.NativeEndian.AppendUint64(raw, uint64(v.ptr))
		case uint64:
			raw = binary.NativeEndian.AppendUint64(raw, v)
		case uint32:
			raw = binary.NativeEndian.AppendUint32(raw, v)
		default:
			return fmt.Errorf("kernel %s: argument %d has unsupported type %T", kernel, i, a)
		}
	}
	cargs := (*C.char)(C.malloc(C.size_t(max(len(raw), 1))))
	defer C.free(unsafe.Pointer(cargs))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(cargs)), len(raw)), raw)
	coffs := (*C.int)(C.malloc(C.size_t(len(offsets)) * C.size_t(unsafe.Sizeof(C.int(0)))))
	defer C.free(unsafe.Pointer(coffs))
	copy(unsafe.Slice(coffs, len(offsets)), offsets)
	grid := (n + uint64(block) - 1) / uint64(block)
	if grid == 0 {
		return nil
	}
	if grid > 1<<31-1 {
		return fmt.Errorf("kernel %s: grid of %d blocks too large", kernel, grid)
	}
	return check("launch "+kernel, C.cu_launch(f, C.uint(grid), C.uint(block), cargs, coffs, C.int(len(args))))
}

// launchSync is launch followed by a synchronize: a fault of this kernel is
// reported with its name.
func (d *driver) launchSync(kernel string, n uint64, block uint32, args ...any) error {
	if err := d.launch(kernel, n, block, args...); err != nil {
		return err
	}
	return d.sync("run " + kernel)
}

// sync waits for every launch so far (cuCtxSynchronize); what names the work.
func (d *driver) sync(what string) error { return check(what, C.cu_sync()) }

// launchBlocks launches kernel with exactly grid blocks of block threads.
func (d *driver) launchBlocks(kernel string, grid, block uint32, args ...any) error {
	return d.launch(kernel, uint64(grid)*uint64(block), block, args...)
}

// close unloads the module (unless a reset took it) and releases d's
// reference to the primary context.
func (d *driver) close() {
	primary.mu.Lock()
	defer primary.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if d.mod != nil && d.broken == nil && d.gen == primary.gen && C.cu_ctx_set(d.ctx) == 0 {
		C.cu_module_unload(d.mod)
	}
	d.mod = nil
	C.cu_ctx_release(d.dev)
}
