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
static CUresult cu_module_load(CUmodule *m, const void *ptx) { return p_cuModuleLoadData(m, ptx); }
static CUresult cu_module_unload(CUmodule m) { return p_cuModuleUnload(m); }
static CUresult cu_function(CUfunction *f, CUmodule m, const char *name) { return p_cuModuleGetFunction(f, m, name); }
static CUresult cu_alloc(CUdeviceptr *p, size_t n) { return p_cuMemAlloc(p, n); }
static CUresult cu_free(CUdeviceptr p) { return p_cuMemFree(p); }
static CUresult cu_htod(CUdeviceptr d, const void *h, size_t n) { return p_cuMemcpyHtoD(d, h, n); }
static CUresult cu_dtoh(void *h, CUdeviceptr d, size_t n) { return p_cuMemcpyDtoH(h, d, n); }
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
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
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

func check(what string, r C.CUresult) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("CUDA %s: %s (error %d)", what, C.GoString(C.cu_error(r)), int(r))
}

// driver is one device's primary context with the PoCPS module loaded.
type driver struct {
	mu      sync.Mutex
	dev     C.CUdevice
	ctx     C.CUcontext
	mod     C.CUmodule
	funcs   map[string]C.CUfunction
	info    Info
	arch    string
	cleanup bool
}

// newDriver opens device 0, retains its primary context and loads the PTX
// that fits its compute capability.
func newDriver() (*driver, error) {
	if err := loadDriver(); err != nil {
		return nil, err
	}
	var n C.int
	if err := check("device count", C.cu_device_count(&n)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDriver, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: the driver sees no CUDA device", ErrNoDriver)
	}
	d := &driver{funcs: map[string]C.CUfunction{}}
	if err := check("device get", C.cu_device_get(&d.dev, 0)); err != nil {
		return nil, err
	}
	var name [256]C.char
	var mem C.size_t
	var version, major, minor, sms C.int
	if err := firstErr(
		check("device name", C.cu_device_name(&name[0], C.int(len(name)), d.dev)),
		check("device memory", C.cu_device_mem(&mem, d.dev)),
		check("driver version", C.cu_driver_version(&version)),
		check("compute capability", C.cu_device_attr(&major, attrCCMajor, d.dev)),
		check("compute capability", C.cu_device_attr(&minor, attrCCMinor, d.dev)),
		check("multiprocessors", C.cu_device_attr(&sms, attrMultiprocessors, d.dev)),
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
	ptx, arch, err := ptxFor(int(major), int(minor))
	if err != nil {
		return nil, err
	}
	d.arch = arch
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := check("primary context", C.cu_ctx_retain(&d.ctx, d.dev)); err != nil {
		return nil, err
	}
	if err := check("set context", C.cu_ctx_set(d.ctx)); err != nil {
		return nil, err
	}
	src := C.CString(ptx)
	defer C.free(unsafe.Pointer(src))
	if err := check("load PTX "+arch+" (a driver older than the PTX ISA?)", C.cu_module_load(&d.mod, unsafe.Pointer(src))); err != nil {
		C.cu_ctx_release(d.dev)
		return nil, err
	}
	for _, fn := range kernelNames {
		cname := C.CString(fn)
		var f C.CUfunction
		r := C.cu_function(&f, d.mod, cname)
		C.free(unsafe.Pointer(cname))
		if err := check("kernel "+fn, r); err != nil {
			return nil, err
		}
		d.funcs[fn] = f
	}
	return d, nil
}

var kernelNames = []string{"label_layer", "merkle_level", "walk", "prg_fill", "transpose_b", "gather_rows", "gemm_s8", "row_segments", "row_leaves"}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// do runs f on a locked OS thread with the context current: CUDA contexts
// are current per thread, goroutines are not threads.
func (d *driver) do(f func() error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := check("set context", C.cu_ctx_set(d.ctx)); err != nil {
		return err
	}
	return f()
}

// devBuf is device memory.
type devBuf struct {
	ptr  C.CUdeviceptr
	size uint64
}

func (d *driver) alloc(size uint64) (devBuf, error) {
	var p C.CUdeviceptr
	if err := check(fmt.Sprintf("alloc %d bytes", size), C.cu_alloc(&p, C.size_t(max(size, 1)))); err != nil {
		return devBuf{}, err
	}
	return devBuf{ptr: p, size: size}, nil
}

func (d *driver) free(b devBuf) {
	if b.ptr != 0 {
		C.cu_free(b.ptr)
	}
}

func (d *driver) upload(b devBuf, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	return check("copy to device", C.cu_htod(b.ptr, unsafe.Pointer(&data[0]), C.size_t(len(data))))
}

func (d *driver) download(b devBuf, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	return check("copy from device", C.cu_dtoh(unsafe.Pointer(&data[0]), b.ptr, C.size_t(len(data))))
}

// launch runs kernel over n threads in blocks of block threads. Arguments
// are devBuf (a device pointer), uint32 or uint64, in kernel order.
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
	if err := check("launch "+kernel, C.cu_launch(f, C.uint(grid), C.uint(block), cargs, coffs, C.int(len(args)))); err != nil {
		return err
	}
	return check("run "+kernel, C.cu_sync())
}

// launchBlocks runs kernel with exactly grid blocks of block threads.
func (d *driver) launchBlocks(kernel string, grid, block uint32, args ...any) error {
	return d.launch(kernel, uint64(grid)*uint64(block), block, args...)
}

func (d *driver) close() {
	_ = d.do(func() error {
		if d.mod != nil {
			C.cu_module_unload(d.mod)
		}
		return nil
	})
	C.cu_ctx_release(d.dev)
}
