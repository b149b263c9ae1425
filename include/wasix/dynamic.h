/* wasmx's own declarations of the WASIX dynamic-call and closure imports (module wasix_32v1), for C code built
 * against a plain WASI libc. These are what libffi's WASIX port uses. A function pointer is its index in the
 * module's __indirect_function_table. Every function returns the WASI errno (0 = success).
 *
 * Value buffers (call_dynamic's values/results, a closure's backing function's values/results) hold the values
 * back to back, little-endian, at their natural sizes: i32 and f32 4 bytes, i64 and f64 8 bytes, v128 16 bytes;
 * no padding between them. */
#ifndef WASIX_DYNAMIC_H
#define WASIX_DYNAMIC_H

#include <stdint.h>

#include "sockets.h" /* wasix_errno_t, WASIX_IMPORT */

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t wasix_function_pointer_t;

/* wasm_value_type_t (u8). */
typedef uint8_t wasix_value_type_t;
#define WASIX_VALUE_TYPE_I32 ((wasix_value_type_t)0)
#define WASIX_VALUE_TYPE_I64 ((wasix_value_type_t)1)
#define WASIX_VALUE_TYPE_F32 ((wasix_value_type_t)2)
#define WASIX_VALUE_TYPE_F64 ((wasix_value_type_t)3)
#define WASIX_VALUE_TYPE_V128 ((wasix_value_type_t)4)

/* reflection_result_t (6 B, align 2): cacheable u8 @0 (1: the slot's signature cannot change), arguments u16 @2,
 * results u16 @4. */
typedef struct wasix_reflection_result {
  uint8_t cacheable;
  uint16_t arguments;
  uint16_t results;
} wasix_reflection_result_t;
_Static_assert(sizeof(wasix_reflection_result_t) == 6, "reflection_result_t is 6 bytes");

/* Calls table entry `fn` with the packed `values`; writes its results packed into `results`. strict: the lengths
 * must be exactly what the signature needs (else INVAL, nothing called); not strict: missing values are zero,
 * results that do not fit are dropped. */
WASIX_IMPORT("call_dynamic")
wasix_errno_t wasix_call_dynamic(wasix_function_pointer_t fn, const void *values, uint32_t values_len, void *results,
                                 uint32_t results_len, uint8_t strict);

/* The signature of table entry `fn`: *result always; the types too when the buffers hold them (else OVERFLOW).
 * INVAL (counts 0) when the slot holds no function. (The lengths are u16.) */
WASIX_IMPORT("reflect_signature")
wasix_errno_t wasix_reflect_signature(wasix_function_pointer_t fn, wasix_value_type_t *argument_types,
                                      uint32_t argument_types_len, wasix_value_type_t *result_types,
                                      uint32_t result_types_len, wasix_reflection_result_t *result);

/* A new table slot for a closure (empty until closure_prepare). */
WASIX_IMPORT("closure_allocate") wasix_errno_t wasix_closure_allocate(wasix_function_pointer_t *closure);

/* Makes slot `closure` a function of the given type that calls backing(values, results, user_data):
 * void backing(uint8_t *values, uint8_t *results, void *user_data). */
WASIX_IMPORT("closure_prepare")
wasix_errno_t wasix_closure_prepare(wasix_function_pointer_t backing, wasix_function_pointer_t closure,
                                    const wasix_value_type_t *argument_types, uint32_t argument_types_len,
                                    const wasix_value_type_t *result_types, uint32_t result_types_len,
                                    void *user_data);

/* Releases a closure's slot (emptied, and handed out again by closure_allocate). */
WASIX_IMPORT("closure_free") wasix_errno_t wasix_closure_free(wasix_function_pointer_t closure);

#ifdef __cplusplus
}
#endif
#endif
