/* Input of build.rs's bindgen run: the driver-side libva API and the media controller uapi. */
#include <va/va_backend.h>
#include <va/va_drmcommon.h>
#include <linux/media.h>
