/*
 * ProcessPrng for Wine versions without bcryptprimitives.dll (Debian 12 has
 * Wine 8). Go's Windows runtime (1.22 and later) loads it at start-up for
 * its random numbers, so no Go test binary runs under such a Wine without
 * it. `make test-windows` builds this file with mingw-w64 into its own Wine
 * prefix; nothing else uses it.
 */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

/* ProcessPrng fills data with len random bytes from RtlGenRandom. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000 ? 0x10000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
