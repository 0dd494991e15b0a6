//! Sizes and field offsets of the kernel uapi structs vatrace decodes (LP64: x86_64 and arm64),
//! taken from the generated `uapi` crate (`size_of` and `offset_of!` on its structs, so nothing
//! here is a number).
//!
//! One module per struct, named as in the C headers, with `SIZE` and one constant per field offset
//! (nested fields joined with `_`; a field called `size` is `SIZE_`). [`ALL`] lists every one of
//! them for the layout check (`crate::layout_check`), which compares them with what gcc prints
//! for the same headers.
#![allow(non_camel_case_types, missing_docs)]

/// Defines one module per struct (`SIZE` and each `NAME = rust.field.path` offset) and [`ALL`].
macro_rules! layouts {
    ($($s:ident { $($name:ident = $($f:ident).+,)* })*) => {
        $(
            pub mod $s {
                pub const SIZE: usize = core::mem::size_of::<uapi::$s>();
                $(pub const $name: usize = core::mem::offset_of!(uapi::$s, $($f).+);)*
            }
        )*
        /// Every struct and offset above: (C struct, Rust field path, value); the path is empty
        /// for the struct's size.
        pub const ALL: &[(&str, &str, usize)] = &[
            $(
                (stringify!($s), "", $s::SIZE),
                $((stringify!($s), stringify!($($f).+), $s::$name),)*
            )*
        ];
    };
}

layouts! {
    v4l2_capability {
        DRIVER = driver,
        CARD = card,
        BUS_INFO = bus_info,
        VERSION = version,
        CAPABILITIES = capabilities,
        DEVICE_CAPS = device_caps,
    }
    v4l2_fmtdesc {
        INDEX = index,
        TYPE = type_,
        FLAGS = flags,
        DESCRIPTION = description,
        PIXELFORMAT = pixelformat,
        MBUS_CODE = mbus_code,
    }
    v4l2_format {
        TYPE = type_,
        FMT = fmt,
    }
    v4l2_pix_format {
        WIDTH = width,
        HEIGHT = height,
        PIXELFORMAT = pixelformat,
        FIELD = field,
        BYTESPERLINE = bytesperline,
        SIZEIMAGE = sizeimage,
        COLORSPACE = colorspace,
        PRIV = priv_,
        FLAGS = flags,
        YCBCR_ENC = __bindgen_anon_1.ycbcr_enc,
        QUANTIZATION = quantization,
        XFER_FUNC = xfer_func,
    }
    v4l2_pix_format_mplane {
        WIDTH = width,
        HEIGHT = height,
        PIXELFORMAT = pixelformat,
        FIELD = field,
        COLORSPACE = colorspace,
        PLANE_FMT = plane_fmt,
        NUM_PLANES = num_planes,
        FLAGS = flags,
        YCBCR_ENC = __bindgen_anon_1.ycbcr_enc,
        QUANTIZATION = quantization,
        XFER_FUNC = xfer_func,
    }
    v4l2_plane_pix_format {
        SIZEIMAGE = sizeimage,
        BYTESPERLINE = bytesperline,
    }
    v4l2_requestbuffers {
        COUNT = count,
        TYPE = type_,
        MEMORY = memory,
        CAPABILITIES = capabilities,
        FLAGS = flags,
    }
    v4l2_buffer {
        INDEX = index,
        TYPE = type_,
        BYTESUSED = bytesused,
        FLAGS = flags,
        FIELD = field,
        TIMESTAMP = timestamp,
        TIMECODE = timecode,
        SEQUENCE = sequence,
        MEMORY = memory,
        M = m,
        LENGTH = length,
        RESERVED2 = reserved2,
        REQUEST_FD = __bindgen_anon_1.request_fd,
        TIMESTAMP_TV_USEC = timestamp.tv_usec,
    }
    v4l2_plane {
        BYTESUSED = bytesused,
        LENGTH = length,
        M = m,
        DATA_OFFSET = data_offset,
        RESERVED = reserved,
    }
    v4l2_exportbuffer {
        TYPE = type_,
        INDEX = index,
        PLANE = plane,
        FLAGS = flags,
        FD = fd,
        RESERVED = reserved,
    }
    v4l2_control {}
    v4l2_ext_controls {
        WHICH = __bindgen_anon_1.which,
        COUNT = count,
        ERROR_IDX = error_idx,
        REQUEST_FD = request_fd,
        RESERVED = reserved,
        CONTROLS = controls,
    }
    v4l2_ext_control {
        ID = id,
        SIZE_ = size,
        RESERVED2 = reserved2,
        VALUE = __bindgen_anon_1.value,
    }
    v4l2_queryctrl {
        ID = id,
        TYPE = type_,
        NAME = name,
        MINIMUM = minimum,
        MAXIMUM = maximum,
        STEP = step,
        DEFAULT_VALUE = default_value,
        FLAGS = flags,
        RESERVED = reserved,
    }
    v4l2_query_ext_ctrl {
        ID = id,
        TYPE = type_,
        NAME = name,
        MINIMUM = minimum,
        MAXIMUM = maximum,
        STEP = step,
        DEFAULT_VALUE = default_value,
        FLAGS = flags,
        ELEM_SIZE = elem_size,
        ELEMS = elems,
        NR_OF_DIMS = nr_of_dims,
        DIMS = dims,
        RESERVED = reserved,
    }
    v4l2_querymenu {
        ID = id,
        INDEX = index,
        NAME = __bindgen_anon_1.name,
        RESERVED = reserved,
    }
    v4l2_event_subscription {
        TYPE = type_,
        ID = id,
        FLAGS = flags,
    }
    v4l2_event {
        TYPE = type_,
        U = u,
        PENDING = pending,
        SEQUENCE = sequence,
        TIMESTAMP = timestamp,
        ID = id,
        TIMESTAMP_TV_NSEC = timestamp.tv_nsec,
        U_SRC_CHANGE_CHANGES = u.src_change.changes,
        U_CTRL_CHANGES = u.ctrl.changes,
        U_CTRL_TYPE = u.ctrl.type_,
        U_CTRL_VALUE = u.ctrl.__bindgen_anon_1.value,
        U_CTRL_FLAGS = u.ctrl.flags,
        U_CTRL_MINIMUM = u.ctrl.minimum,
        U_CTRL_MAXIMUM = u.ctrl.maximum,
        U_CTRL_STEP = u.ctrl.step,
        U_CTRL_DEFAULT_VALUE = u.ctrl.default_value,
    }
    v4l2_create_buffers {
        INDEX = index,
        COUNT = count,
        MEMORY = memory,
        FORMAT = format,
        CAPABILITIES = capabilities,
        FLAGS = flags,
        MAX_NUM_BUFFERS = max_num_buffers,
    }
    v4l2_remove_buffers {
        INDEX = index,
        COUNT = count,
        TYPE = type_,
        RESERVED = reserved,
    }
    v4l2_decoder_cmd {
        CMD = cmd,
        FLAGS = flags,
        RAW = __bindgen_anon_1.raw,
        STOP_PTS = __bindgen_anon_1.stop.pts,
        START_SPEED = __bindgen_anon_1.start.speed,
        START_FORMAT = __bindgen_anon_1.start.format,
    }
    v4l2_encoder_cmd {}
    v4l2_frmsizeenum {
        INDEX = index,
        PIXEL_FORMAT = pixel_format,
        TYPE = type_,
        DISCRETE = __bindgen_anon_1.discrete,
        STEPWISE = __bindgen_anon_1.stepwise,
        STEPWISE_MAX_WIDTH = __bindgen_anon_1.stepwise.max_width,
        STEPWISE_STEP_WIDTH = __bindgen_anon_1.stepwise.step_width,
        STEPWISE_MIN_HEIGHT = __bindgen_anon_1.stepwise.min_height,
        STEPWISE_MAX_HEIGHT = __bindgen_anon_1.stepwise.max_height,
        STEPWISE_STEP_HEIGHT = __bindgen_anon_1.stepwise.step_height,
    }
    v4l2_frmivalenum {}
    v4l2_streamparm {}
    v4l2_selection {
        TYPE = type_,
        TARGET = target,
        FLAGS = flags,
        R = r,
        R_LEFT = r.left,
        R_TOP = r.top,
        R_WIDTH = r.width,
        R_HEIGHT = r.height,
    }
    v4l2_timecode {}
    media_device_info {
        DRIVER = driver,
        MODEL = model,
        SERIAL = serial,
        BUS_INFO = bus_info,
        MEDIA_VERSION = media_version,
        HW_REVISION = hw_revision,
        DRIVER_VERSION = driver_version,
    }
    media_entity_desc {
        TYPE = type_,
        REVISION = revision,
        FLAGS = flags,
        GROUP_ID = group_id,
        PADS = pads,
        LINKS = links,
        DEV = __bindgen_anon_1.dev,
    }
    media_links_enum {
        ENTITY = entity,
        PADS = pads,
        LINKS = links,
    }
    media_link_desc {
        SOURCE = source,
        SINK = sink,
        FLAGS = flags,
    }
    media_v2_topology {
        TOPOLOGY_VERSION = topology_version,
        NUM_ENTITIES = num_entities,
        PTR_ENTITIES = ptr_entities,
        NUM_INTERFACES = num_interfaces,
        PTR_INTERFACES = ptr_interfaces,
        NUM_PADS = num_pads,
        PTR_PADS = ptr_pads,
        NUM_LINKS = num_links,
        PTR_LINKS = ptr_links,
    }
    media_v2_entity {
        ID = id,
        NAME = name,
        FUNCTION = function,
        FLAGS = flags,
    }
    media_v2_interface {
        ID = id,
        INTF_TYPE = intf_type,
        FLAGS = flags,
        DEVNODE = __bindgen_anon_1.devnode,
    }
    media_v2_pad {
        ID = id,
        ENTITY_ID = entity_id,
        FLAGS = flags,
        INDEX = index,
    }
    media_v2_link {
        ID = id,
        SOURCE_ID = source_id,
        SINK_ID = sink_id,
        FLAGS = flags,
    }
    dma_buf_sync {
        FLAGS = flags,
    }
    dma_buf_export_sync_file {}
    dma_buf_import_sync_file {}
    media_pad_desc {
        ENTITY = entity,
        INDEX = index,
        FLAGS = flags,
    }
}
