//! Sizes and field offsets of the kernel uapi structs vatrace decodes (LP64: x86_64 and arm64).
//!
//! One module per struct, named as in the C headers, with `SIZE` and one constant per field offset
//! (nested fields joined with `_`; a field called `size` is `SIZE_`). The values come from `traces/tools/layout.c` compiled with gcc
//! against the Linux 6.12 uapi headers; the test below holds that program's output verbatim and
//! checks every constant against it, so an edit here that breaks the layout fails the tests.
#![allow(non_camel_case_types, missing_docs)]

pub mod v4l2_capability {
    pub const SIZE: usize = 104;
    pub const DRIVER: usize = 0;
    pub const CARD: usize = 16;
    pub const BUS_INFO: usize = 48;
    pub const VERSION: usize = 80;
    pub const CAPABILITIES: usize = 84;
    pub const DEVICE_CAPS: usize = 88;
}
pub mod v4l2_fmtdesc {
    pub const SIZE: usize = 64;
    pub const INDEX: usize = 0;
    pub const TYPE: usize = 4;
    pub const FLAGS: usize = 8;
    pub const DESCRIPTION: usize = 12;
    pub const PIXELFORMAT: usize = 44;
    pub const MBUS_CODE: usize = 48;
}
pub mod v4l2_format {
    pub const SIZE: usize = 208;
    pub const TYPE: usize = 0;
    pub const FMT: usize = 8;
}
pub mod v4l2_pix_format {
    pub const SIZE: usize = 48;
    pub const WIDTH: usize = 0;
    pub const HEIGHT: usize = 4;
    pub const PIXELFORMAT: usize = 8;
    pub const FIELD: usize = 12;
    pub const BYTESPERLINE: usize = 16;
    pub const SIZEIMAGE: usize = 20;
    pub const COLORSPACE: usize = 24;
    pub const PRIV: usize = 28;
    pub const FLAGS: usize = 32;
    pub const YCBCR_ENC: usize = 36;
    pub const QUANTIZATION: usize = 40;
    pub const XFER_FUNC: usize = 44;
}
pub mod v4l2_pix_format_mplane {
    pub const SIZE: usize = 192;
    pub const WIDTH: usize = 0;
    pub const HEIGHT: usize = 4;
    pub const PIXELFORMAT: usize = 8;
    pub const FIELD: usize = 12;
    pub const COLORSPACE: usize = 16;
    pub const PLANE_FMT: usize = 20;
    pub const NUM_PLANES: usize = 180;
    pub const FLAGS: usize = 181;
    pub const YCBCR_ENC: usize = 182;
    pub const QUANTIZATION: usize = 183;
    pub const XFER_FUNC: usize = 184;
}
pub mod v4l2_plane_pix_format {
    pub const SIZE: usize = 20;
    pub const SIZEIMAGE: usize = 0;
    pub const BYTESPERLINE: usize = 4;
}
pub mod v4l2_requestbuffers {
    pub const SIZE: usize = 20;
    pub const COUNT: usize = 0;
    pub const TYPE: usize = 4;
    pub const MEMORY: usize = 8;
    pub const CAPABILITIES: usize = 12;
    pub const FLAGS: usize = 16;
}
pub mod v4l2_buffer {
    pub const SIZE: usize = 88;
    pub const INDEX: usize = 0;
    pub const TYPE: usize = 4;
    pub const BYTESUSED: usize = 8;
    pub const FLAGS: usize = 12;
    pub const FIELD: usize = 16;
    pub const TIMESTAMP: usize = 24;
    pub const TIMECODE: usize = 40;
    pub const SEQUENCE: usize = 56;
    pub const MEMORY: usize = 60;
    pub const M: usize = 64;
    pub const LENGTH: usize = 72;
    pub const RESERVED2: usize = 76;
    pub const REQUEST_FD: usize = 80;
    pub const TIMESTAMP_TV_USEC: usize = 32;
}
pub mod v4l2_plane {
    pub const SIZE: usize = 64;
    pub const BYTESUSED: usize = 0;
    pub const LENGTH: usize = 4;
    pub const M: usize = 8;
    pub const DATA_OFFSET: usize = 16;
    pub const RESERVED: usize = 20;
}
pub mod v4l2_exportbuffer {
    pub const SIZE: usize = 64;
    pub const TYPE: usize = 0;
    pub const INDEX: usize = 4;
    pub const PLANE: usize = 8;
    pub const FLAGS: usize = 12;
    pub const FD: usize = 16;
    pub const RESERVED: usize = 20;
}
pub mod v4l2_control {
    pub const SIZE: usize = 8;
}
pub mod v4l2_ext_controls {
    pub const SIZE: usize = 32;
    pub const WHICH: usize = 0;
    pub const COUNT: usize = 4;
    pub const ERROR_IDX: usize = 8;
    pub const REQUEST_FD: usize = 12;
    pub const RESERVED: usize = 16;
    pub const CONTROLS: usize = 24;
}
pub mod v4l2_ext_control {
    pub const SIZE: usize = 20;
    pub const ID: usize = 0;
    /// Offset of the `size` field (`SIZE` is the struct's size).
    pub const SIZE_: usize = 4;
    pub const RESERVED2: usize = 8;
    pub const VALUE: usize = 12;
}
pub mod v4l2_queryctrl {
    pub const SIZE: usize = 68;
    pub const ID: usize = 0;
    pub const TYPE: usize = 4;
    pub const NAME: usize = 8;
    pub const MINIMUM: usize = 40;
    pub const MAXIMUM: usize = 44;
    pub const STEP: usize = 48;
    pub const DEFAULT_VALUE: usize = 52;
    pub const FLAGS: usize = 56;
    pub const RESERVED: usize = 60;
}
pub mod v4l2_query_ext_ctrl {
    pub const SIZE: usize = 232;
    pub const ID: usize = 0;
    pub const TYPE: usize = 4;
    pub const NAME: usize = 8;
    pub const MINIMUM: usize = 40;
    pub const MAXIMUM: usize = 48;
    pub const STEP: usize = 56;
    pub const DEFAULT_VALUE: usize = 64;
    pub const FLAGS: usize = 72;
    pub const ELEM_SIZE: usize = 76;
    pub const ELEMS: usize = 80;
    pub const NR_OF_DIMS: usize = 84;
    pub const DIMS: usize = 88;
    pub const RESERVED: usize = 104;
}
pub mod v4l2_querymenu {
    pub const SIZE: usize = 44;
    pub const ID: usize = 0;
    pub const INDEX: usize = 4;
    pub const NAME: usize = 8;
    pub const RESERVED: usize = 40;
}
pub mod v4l2_event_subscription {
    pub const SIZE: usize = 32;
    pub const TYPE: usize = 0;
    pub const ID: usize = 4;
    pub const FLAGS: usize = 8;
}
pub mod v4l2_event {
    pub const SIZE: usize = 136;
    pub const TYPE: usize = 0;
    pub const U: usize = 8;
    pub const PENDING: usize = 72;
    pub const SEQUENCE: usize = 76;
    pub const TIMESTAMP: usize = 80;
    pub const ID: usize = 96;
    pub const TIMESTAMP_TV_NSEC: usize = 88;
    pub const U_SRC_CHANGE_CHANGES: usize = 8;
    pub const U_CTRL_CHANGES: usize = 8;
    pub const U_CTRL_TYPE: usize = 12;
    pub const U_CTRL_VALUE: usize = 16;
    pub const U_CTRL_FLAGS: usize = 24;
    pub const U_CTRL_MINIMUM: usize = 28;
    pub const U_CTRL_MAXIMUM: usize = 32;
    pub const U_CTRL_STEP: usize = 36;
    pub const U_CTRL_DEFAULT_VALUE: usize = 40;
}
pub mod v4l2_create_buffers {
    pub const SIZE: usize = 256;
    pub const INDEX: usize = 0;
    pub const COUNT: usize = 4;
    pub const MEMORY: usize = 8;
    pub const FORMAT: usize = 16;
    pub const CAPABILITIES: usize = 224;
    pub const FLAGS: usize = 228;
    pub const MAX_NUM_BUFFERS: usize = 232;
}
pub mod v4l2_remove_buffers {
    pub const SIZE: usize = 64;
    pub const INDEX: usize = 0;
    pub const COUNT: usize = 4;
    pub const TYPE: usize = 8;
    pub const RESERVED: usize = 12;
}
pub mod v4l2_decoder_cmd {
    pub const SIZE: usize = 72;
    pub const CMD: usize = 0;
    pub const FLAGS: usize = 4;
    pub const RAW: usize = 8;
    pub const STOP_PTS: usize = 8;
    pub const START_SPEED: usize = 8;
    pub const START_FORMAT: usize = 12;
}
pub mod v4l2_encoder_cmd {
    pub const SIZE: usize = 40;
}
pub mod v4l2_frmsizeenum {
    pub const SIZE: usize = 44;
    pub const INDEX: usize = 0;
    pub const PIXEL_FORMAT: usize = 4;
    pub const TYPE: usize = 8;
    pub const DISCRETE: usize = 12;
    pub const STEPWISE: usize = 12;
    pub const STEPWISE_MAX_WIDTH: usize = 16;
    pub const STEPWISE_STEP_WIDTH: usize = 20;
    pub const STEPWISE_MIN_HEIGHT: usize = 24;
    pub const STEPWISE_MAX_HEIGHT: usize = 28;
    pub const STEPWISE_STEP_HEIGHT: usize = 32;
}
pub mod v4l2_frmivalenum {
    pub const SIZE: usize = 52;
}
pub mod v4l2_streamparm {
    pub const SIZE: usize = 204;
}
pub mod v4l2_selection {
    pub const SIZE: usize = 64;
    pub const TYPE: usize = 0;
    pub const TARGET: usize = 4;
    pub const FLAGS: usize = 8;
    pub const R: usize = 12;
    pub const R_LEFT: usize = 12;
    pub const R_TOP: usize = 16;
    pub const R_WIDTH: usize = 20;
    pub const R_HEIGHT: usize = 24;
}
pub mod v4l2_timecode {
    pub const SIZE: usize = 16;
}
pub mod media_device_info {
    pub const SIZE: usize = 256;
    pub const DRIVER: usize = 0;
    pub const MODEL: usize = 16;
    pub const SERIAL: usize = 48;
    pub const BUS_INFO: usize = 88;
    pub const MEDIA_VERSION: usize = 120;
    pub const HW_REVISION: usize = 124;
    pub const DRIVER_VERSION: usize = 128;
}
pub mod media_entity_desc {
    pub const SIZE: usize = 256;
    pub const TYPE: usize = 36;
    pub const REVISION: usize = 40;
    pub const FLAGS: usize = 44;
    pub const GROUP_ID: usize = 48;
    pub const PADS: usize = 52;
    pub const LINKS: usize = 54;
    pub const DEV: usize = 72;
}
pub mod media_links_enum {
    pub const SIZE: usize = 40;
    pub const ENTITY: usize = 0;
    pub const PADS: usize = 8;
    pub const LINKS: usize = 16;
}
pub mod media_link_desc {
    pub const SIZE: usize = 52;
    pub const SOURCE: usize = 0;
    pub const SINK: usize = 20;
    pub const FLAGS: usize = 40;
}
pub mod media_v2_topology {
    pub const SIZE: usize = 72;
    pub const TOPOLOGY_VERSION: usize = 0;
    pub const NUM_ENTITIES: usize = 8;
    pub const PTR_ENTITIES: usize = 16;
    pub const NUM_INTERFACES: usize = 24;
    pub const PTR_INTERFACES: usize = 32;
    pub const NUM_PADS: usize = 40;
    pub const PTR_PADS: usize = 48;
    pub const NUM_LINKS: usize = 56;
    pub const PTR_LINKS: usize = 64;
}
pub mod media_v2_entity {
    pub const SIZE: usize = 96;
    pub const ID: usize = 0;
    pub const NAME: usize = 4;
    pub const FUNCTION: usize = 68;
    pub const FLAGS: usize = 72;
}
pub mod media_v2_interface {
    pub const SIZE: usize = 112;
    pub const ID: usize = 0;
    pub const INTF_TYPE: usize = 4;
    pub const FLAGS: usize = 8;
    pub const DEVNODE: usize = 48;
}
pub mod media_v2_pad {
    pub const SIZE: usize = 32;
    pub const ID: usize = 0;
    pub const ENTITY_ID: usize = 4;
    pub const FLAGS: usize = 8;
    pub const INDEX: usize = 12;
}
pub mod media_v2_link {
    pub const SIZE: usize = 40;
    pub const ID: usize = 0;
    pub const SOURCE_ID: usize = 4;
    pub const SINK_ID: usize = 8;
    pub const FLAGS: usize = 12;
}
pub mod dma_buf_sync {
    pub const SIZE: usize = 8;
    pub const FLAGS: usize = 0;
}
pub mod dma_buf_export_sync_file {
    pub const SIZE: usize = 8;
}
pub mod dma_buf_import_sync_file {
    pub const SIZE: usize = 8;
}
pub mod media_pad_desc {
    pub const SIZE: usize = 20;
    pub const ENTITY: usize = 0;
    pub const INDEX: usize = 4;
    pub const FLAGS: usize = 8;
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Output of `traces/tools/layout.c`, built with gcc 14 against the Linux 6.12 uapi headers
    /// (`gcc -I .cache/kernel-headers/include traces/tools/layout.c && ./a.out`) on x86_64.
    pub(crate) const GCC_OUTPUT: &str = "\
SIZE v4l2_capability 104
SIZE v4l2_fmtdesc 64
SIZE v4l2_format 208
SIZE v4l2_pix_format 48
SIZE v4l2_pix_format_mplane 192
SIZE v4l2_plane_pix_format 20
SIZE v4l2_requestbuffers 20
SIZE v4l2_buffer 88
SIZE v4l2_plane 64
SIZE v4l2_exportbuffer 64
SIZE v4l2_control 8
SIZE v4l2_ext_controls 32
SIZE v4l2_ext_control 20
SIZE v4l2_queryctrl 68
SIZE v4l2_query_ext_ctrl 232
SIZE v4l2_querymenu 44
SIZE v4l2_event_subscription 32
SIZE v4l2_event 136
SIZE v4l2_create_buffers 256
SIZE v4l2_remove_buffers 64
SIZE v4l2_decoder_cmd 72
SIZE v4l2_encoder_cmd 40
SIZE v4l2_frmsizeenum 44
SIZE v4l2_frmivalenum 52
SIZE v4l2_streamparm 204
SIZE v4l2_selection 64
SIZE v4l2_timecode 16
SIZE media_device_info 256
SIZE media_entity_desc 256
SIZE media_links_enum 40
SIZE media_link_desc 52
SIZE media_v2_topology 72
SIZE media_v2_entity 96
SIZE media_v2_interface 112
SIZE media_v2_pad 32
SIZE media_v2_link 40
SIZE dma_buf_sync 8
SIZE dma_buf_export_sync_file 8
SIZE dma_buf_import_sync_file 8
OFF v4l2_capability.driver 0
OFF v4l2_capability.card 16
OFF v4l2_capability.bus_info 48
OFF v4l2_capability.version 80
OFF v4l2_capability.capabilities 84
OFF v4l2_capability.device_caps 88
OFF v4l2_fmtdesc.index 0
OFF v4l2_fmtdesc.type 4
OFF v4l2_fmtdesc.flags 8
OFF v4l2_fmtdesc.description 12
OFF v4l2_fmtdesc.pixelformat 44
OFF v4l2_fmtdesc.mbus_code 48
OFF v4l2_format.type 0
OFF v4l2_format.fmt 8
OFF v4l2_pix_format.width 0
OFF v4l2_pix_format.height 4
OFF v4l2_pix_format.pixelformat 8
OFF v4l2_pix_format.field 12
OFF v4l2_pix_format.bytesperline 16
OFF v4l2_pix_format.sizeimage 20
OFF v4l2_pix_format.colorspace 24
OFF v4l2_pix_format.priv 28
OFF v4l2_pix_format.flags 32
OFF v4l2_pix_format.ycbcr_enc 36
OFF v4l2_pix_format.quantization 40
OFF v4l2_pix_format.xfer_func 44
OFF v4l2_pix_format_mplane.width 0
OFF v4l2_pix_format_mplane.height 4
OFF v4l2_pix_format_mplane.pixelformat 8
OFF v4l2_pix_format_mplane.field 12
OFF v4l2_pix_format_mplane.colorspace 16
OFF v4l2_pix_format_mplane.plane_fmt 20
OFF v4l2_pix_format_mplane.num_planes 180
OFF v4l2_pix_format_mplane.flags 181
OFF v4l2_pix_format_mplane.ycbcr_enc 182
OFF v4l2_pix_format_mplane.quantization 183
OFF v4l2_pix_format_mplane.xfer_func 184
OFF v4l2_plane_pix_format.sizeimage 0
OFF v4l2_plane_pix_format.bytesperline 4
OFF v4l2_requestbuffers.count 0
OFF v4l2_requestbuffers.type 4
OFF v4l2_requestbuffers.memory 8
OFF v4l2_requestbuffers.capabilities 12
OFF v4l2_requestbuffers.flags 16
OFF v4l2_buffer.index 0
OFF v4l2_buffer.type 4
OFF v4l2_buffer.bytesused 8
OFF v4l2_buffer.flags 12
OFF v4l2_buffer.field 16
OFF v4l2_buffer.timestamp 24
OFF v4l2_buffer.timecode 40
OFF v4l2_buffer.sequence 56
OFF v4l2_buffer.memory 60
OFF v4l2_buffer.m 64
OFF v4l2_buffer.length 72
OFF v4l2_buffer.reserved2 76
OFF v4l2_buffer.request_fd 80
OFF v4l2_plane.bytesused 0
OFF v4l2_plane.length 4
OFF v4l2_plane.m 8
OFF v4l2_plane.data_offset 16
OFF v4l2_plane.reserved 20
OFF v4l2_exportbuffer.type 0
OFF v4l2_exportbuffer.index 4
OFF v4l2_exportbuffer.plane 8
OFF v4l2_exportbuffer.flags 12
OFF v4l2_exportbuffer.fd 16
OFF v4l2_ext_controls.which 0
OFF v4l2_ext_controls.count 4
OFF v4l2_ext_controls.error_idx 8
OFF v4l2_ext_controls.request_fd 12
OFF v4l2_ext_controls.reserved 16
OFF v4l2_ext_controls.controls 24
OFF v4l2_ext_control.id 0
OFF v4l2_ext_control.size 4
OFF v4l2_ext_control.reserved2 8
OFF v4l2_ext_control.value 12
OFF v4l2_queryctrl.id 0
OFF v4l2_queryctrl.type 4
OFF v4l2_queryctrl.name 8
OFF v4l2_queryctrl.minimum 40
OFF v4l2_queryctrl.maximum 44
OFF v4l2_queryctrl.step 48
OFF v4l2_queryctrl.default_value 52
OFF v4l2_queryctrl.flags 56
OFF v4l2_query_ext_ctrl.id 0
OFF v4l2_query_ext_ctrl.type 4
OFF v4l2_query_ext_ctrl.name 8
OFF v4l2_query_ext_ctrl.minimum 40
OFF v4l2_query_ext_ctrl.maximum 48
OFF v4l2_query_ext_ctrl.step 56
OFF v4l2_query_ext_ctrl.default_value 64
OFF v4l2_query_ext_ctrl.flags 72
OFF v4l2_query_ext_ctrl.elem_size 76
OFF v4l2_query_ext_ctrl.elems 80
OFF v4l2_query_ext_ctrl.nr_of_dims 84
OFF v4l2_query_ext_ctrl.dims 88
OFF v4l2_querymenu.id 0
OFF v4l2_querymenu.index 4
OFF v4l2_querymenu.name 8
OFF v4l2_querymenu.reserved 40
OFF v4l2_event_subscription.type 0
OFF v4l2_event_subscription.id 4
OFF v4l2_event_subscription.flags 8
OFF v4l2_event.type 0
OFF v4l2_event.u 8
OFF v4l2_event.pending 72
OFF v4l2_event.sequence 76
OFF v4l2_event.timestamp 80
OFF v4l2_event.id 96
OFF v4l2_create_buffers.index 0
OFF v4l2_create_buffers.count 4
OFF v4l2_create_buffers.memory 8
OFF v4l2_create_buffers.format 16
OFF v4l2_create_buffers.capabilities 224
OFF v4l2_create_buffers.flags 228
OFF v4l2_create_buffers.max_num_buffers 232
OFF v4l2_remove_buffers.index 0
OFF v4l2_remove_buffers.count 4
OFF v4l2_remove_buffers.type 8
OFF v4l2_decoder_cmd.cmd 0
OFF v4l2_decoder_cmd.flags 4
OFF v4l2_decoder_cmd.raw 8
OFF v4l2_frmsizeenum.index 0
OFF v4l2_frmsizeenum.pixel_format 4
OFF v4l2_frmsizeenum.type 8
OFF v4l2_frmsizeenum.discrete 12
OFF v4l2_frmsizeenum.stepwise 12
OFF v4l2_selection.type 0
OFF v4l2_selection.target 4
OFF v4l2_selection.flags 8
OFF v4l2_selection.r 12
OFF media_device_info.driver 0
OFF media_device_info.model 16
OFF media_device_info.serial 48
OFF media_device_info.bus_info 88
OFF media_device_info.media_version 120
OFF media_device_info.hw_revision 124
OFF media_device_info.driver_version 128
OFF media_v2_topology.topology_version 0
OFF media_v2_topology.num_entities 8
OFF media_v2_topology.ptr_entities 16
OFF media_v2_topology.num_interfaces 24
OFF media_v2_topology.ptr_interfaces 32
OFF media_v2_topology.num_pads 40
OFF media_v2_topology.ptr_pads 48
OFF media_v2_topology.num_links 56
OFF media_v2_topology.ptr_links 64
OFF media_v2_entity.id 0
OFF media_v2_entity.name 4
OFF media_v2_entity.function 68
OFF media_v2_entity.flags 72
OFF media_v2_interface.id 0
OFF media_v2_interface.intf_type 4
OFF media_v2_interface.flags 8
OFF media_v2_interface.devnode 48
OFF media_v2_pad.id 0
OFF media_v2_pad.entity_id 4
OFF media_v2_pad.flags 8
OFF media_v2_pad.index 12
OFF media_v2_link.id 0
OFF media_v2_link.source_id 4
OFF media_v2_link.sink_id 8
OFF media_v2_link.flags 12
OFF dma_buf_sync.flags 0
OFF media_entity_desc.type 36
OFF media_entity_desc.revision 40
OFF media_entity_desc.flags 44
OFF media_entity_desc.group_id 48
OFF media_entity_desc.pads 52
OFF media_entity_desc.links 54
OFF media_entity_desc.dev 72
OFF media_links_enum.entity 0
OFF media_links_enum.pads 8
OFF media_links_enum.links 16
SIZE media_pad_desc 20
OFF media_link_desc.source 0
OFF media_link_desc.sink 20
OFF media_link_desc.flags 40
OFF media_pad_desc.entity 0
OFF media_pad_desc.index 4
OFF media_pad_desc.flags 8
OFF v4l2_buffer.timestamp.tv_usec 32
OFF v4l2_event.timestamp.tv_nsec 88
OFF v4l2_event.u.src_change.changes 8
OFF v4l2_event.u.ctrl.changes 8
OFF v4l2_event.u.ctrl.type 12
OFF v4l2_event.u.ctrl.value 16
OFF v4l2_event.u.ctrl.flags 24
OFF v4l2_event.u.ctrl.minimum 28
OFF v4l2_event.u.ctrl.maximum 32
OFF v4l2_event.u.ctrl.step 36
OFF v4l2_event.u.ctrl.default_value 40
OFF v4l2_decoder_cmd.stop.pts 8
OFF v4l2_decoder_cmd.start.speed 8
OFF v4l2_decoder_cmd.start.format 12
OFF v4l2_frmsizeenum.stepwise.max_width 16
OFF v4l2_frmsizeenum.stepwise.step_width 20
OFF v4l2_frmsizeenum.stepwise.min_height 24
OFF v4l2_frmsizeenum.stepwise.max_height 28
OFF v4l2_frmsizeenum.stepwise.step_height 32
OFF v4l2_selection.r.left 12
OFF v4l2_selection.r.top 16
OFF v4l2_selection.r.width 20
OFF v4l2_selection.r.height 24
OFF v4l2_exportbuffer.reserved 20
OFF v4l2_remove_buffers.reserved 12
OFF v4l2_query_ext_ctrl.reserved 104
OFF v4l2_queryctrl.reserved 60
IOC VIDIOC_QUERYCAP 0x80685600
IOC VIDIOC_ENUM_FMT 0xc0405602
IOC VIDIOC_G_FMT 0xc0d05604
IOC VIDIOC_S_FMT 0xc0d05605
IOC VIDIOC_REQBUFS 0xc0145608
IOC VIDIOC_QUERYBUF 0xc0585609
IOC VIDIOC_QBUF 0xc058560f
IOC VIDIOC_EXPBUF 0xc0405610
IOC VIDIOC_DQBUF 0xc0585611
IOC VIDIOC_STREAMON 0x40045612
IOC VIDIOC_STREAMOFF 0x40045613
IOC VIDIOC_G_PARM 0xc0cc5615
IOC VIDIOC_S_PARM 0xc0cc5616
IOC VIDIOC_G_CTRL 0xc008561b
IOC VIDIOC_S_CTRL 0xc008561c
IOC VIDIOC_QUERYCTRL 0xc0445624
IOC VIDIOC_QUERYMENU 0xc02c5625
IOC VIDIOC_G_INPUT 0x80045626
IOC VIDIOC_S_INPUT 0xc0045627
IOC VIDIOC_TRY_FMT 0xc0d05640
IOC VIDIOC_LOG_STATUS 0x00005646
IOC VIDIOC_G_EXT_CTRLS 0xc0205647
IOC VIDIOC_S_EXT_CTRLS 0xc0205648
IOC VIDIOC_TRY_EXT_CTRLS 0xc0205649
IOC VIDIOC_ENUM_FRAMESIZES 0xc02c564a
IOC VIDIOC_ENUM_FRAMEINTERVALS 0xc034564b
IOC VIDIOC_ENCODER_CMD 0xc028564d
IOC VIDIOC_TRY_ENCODER_CMD 0xc028564e
IOC VIDIOC_DQEVENT 0x80885659
IOC VIDIOC_SUBSCRIBE_EVENT 0x4020565a
IOC VIDIOC_UNSUBSCRIBE_EVENT 0x4020565b
IOC VIDIOC_CREATE_BUFS 0xc100565c
IOC VIDIOC_PREPARE_BUF 0xc058565d
IOC VIDIOC_G_SELECTION 0xc040565e
IOC VIDIOC_S_SELECTION 0xc040565f
IOC VIDIOC_DECODER_CMD 0xc0485660
IOC VIDIOC_TRY_DECODER_CMD 0xc0485661
IOC VIDIOC_QUERY_EXT_CTRL 0xc0e85667
IOC VIDIOC_REMOVE_BUFS 0xc0405668
IOC VIDIOC_G_PRIORITY 0x80045643
IOC VIDIOC_S_PRIORITY 0x40045644
IOC MEDIA_IOC_DEVICE_INFO 0xc1007c00
IOC MEDIA_IOC_ENUM_ENTITIES 0xc1007c01
IOC MEDIA_IOC_ENUM_LINKS 0xc0287c02
IOC MEDIA_IOC_SETUP_LINK 0xc0347c03
IOC MEDIA_IOC_G_TOPOLOGY 0xc0487c04
IOC MEDIA_IOC_REQUEST_ALLOC 0x80047c05
IOC MEDIA_REQUEST_IOC_QUEUE 0x00007c80
IOC MEDIA_REQUEST_IOC_REINIT 0x00007c81
IOC DMA_BUF_IOCTL_SYNC 0x40086200
IOC DMA_BUF_SET_NAME_A 0x40046201
IOC DMA_BUF_SET_NAME_B 0x40086201
IOC DMA_BUF_IOCTL_EXPORT_SYNC_FILE 0xc0086202
IOC DMA_BUF_IOCTL_IMPORT_SYNC_FILE 0x40086203
";

    /// Every constant of this file: (struct, constant name, value).
    const CONSTANTS: &[(&str, &str, usize)] = &[
        ("v4l2_capability", "SIZE", v4l2_capability::SIZE),
        ("v4l2_capability", "DRIVER", v4l2_capability::DRIVER),
        ("v4l2_capability", "CARD", v4l2_capability::CARD),
        ("v4l2_capability", "BUS_INFO", v4l2_capability::BUS_INFO),
        ("v4l2_capability", "VERSION", v4l2_capability::VERSION),
        (
            "v4l2_capability",
            "CAPABILITIES",
            v4l2_capability::CAPABILITIES,
        ),
        (
            "v4l2_capability",
            "DEVICE_CAPS",
            v4l2_capability::DEVICE_CAPS,
        ),
        ("v4l2_fmtdesc", "SIZE", v4l2_fmtdesc::SIZE),
        ("v4l2_fmtdesc", "INDEX", v4l2_fmtdesc::INDEX),
        ("v4l2_fmtdesc", "TYPE", v4l2_fmtdesc::TYPE),
        ("v4l2_fmtdesc", "FLAGS", v4l2_fmtdesc::FLAGS),
        ("v4l2_fmtdesc", "DESCRIPTION", v4l2_fmtdesc::DESCRIPTION),
        ("v4l2_fmtdesc", "PIXELFORMAT", v4l2_fmtdesc::PIXELFORMAT),
        ("v4l2_fmtdesc", "MBUS_CODE", v4l2_fmtdesc::MBUS_CODE),
        ("v4l2_format", "SIZE", v4l2_format::SIZE),
        ("v4l2_format", "TYPE", v4l2_format::TYPE),
        ("v4l2_format", "FMT", v4l2_format::FMT),
        ("v4l2_pix_format", "SIZE", v4l2_pix_format::SIZE),
        ("v4l2_pix_format", "WIDTH", v4l2_pix_format::WIDTH),
        ("v4l2_pix_format", "HEIGHT", v4l2_pix_format::HEIGHT),
        (
            "v4l2_pix_format",
            "PIXELFORMAT",
            v4l2_pix_format::PIXELFORMAT,
        ),
        ("v4l2_pix_format", "FIELD", v4l2_pix_format::FIELD),
        (
            "v4l2_pix_format",
            "BYTESPERLINE",
            v4l2_pix_format::BYTESPERLINE,
        ),
        ("v4l2_pix_format", "SIZEIMAGE", v4l2_pix_format::SIZEIMAGE),
        ("v4l2_pix_format", "COLORSPACE", v4l2_pix_format::COLORSPACE),
        ("v4l2_pix_format", "PRIV", v4l2_pix_format::PRIV),
        ("v4l2_pix_format", "FLAGS", v4l2_pix_format::FLAGS),
        ("v4l2_pix_format", "YCBCR_ENC", v4l2_pix_format::YCBCR_ENC),
        (
            "v4l2_pix_format",
            "QUANTIZATION",
            v4l2_pix_format::QUANTIZATION,
        ),
        ("v4l2_pix_format", "XFER_FUNC", v4l2_pix_format::XFER_FUNC),
        (
            "v4l2_pix_format_mplane",
            "SIZE",
            v4l2_pix_format_mplane::SIZE,
        ),
        (
            "v4l2_pix_format_mplane",
            "WIDTH",
            v4l2_pix_format_mplane::WIDTH,
        ),
        (
            "v4l2_pix_format_mplane",
            "HEIGHT",
            v4l2_pix_format_mplane::HEIGHT,
        ),
        (
            "v4l2_pix_format_mplane",
            "PIXELFORMAT",
            v4l2_pix_format_mplane::PIXELFORMAT,
        ),
        (
            "v4l2_pix_format_mplane",
            "FIELD",
            v4l2_pix_format_mplane::FIELD,
        ),
        (
            "v4l2_pix_format_mplane",
            "COLORSPACE",
            v4l2_pix_format_mplane::COLORSPACE,
        ),
        (
            "v4l2_pix_format_mplane",
            "PLANE_FMT",
            v4l2_pix_format_mplane::PLANE_FMT,
        ),
        (
            "v4l2_pix_format_mplane",
            "NUM_PLANES",
            v4l2_pix_format_mplane::NUM_PLANES,
        ),
        (
            "v4l2_pix_format_mplane",
            "FLAGS",
            v4l2_pix_format_mplane::FLAGS,
        ),
        (
            "v4l2_pix_format_mplane",
            "YCBCR_ENC",
            v4l2_pix_format_mplane::YCBCR_ENC,
        ),
        (
            "v4l2_pix_format_mplane",
            "QUANTIZATION",
            v4l2_pix_format_mplane::QUANTIZATION,
        ),
        (
            "v4l2_pix_format_mplane",
            "XFER_FUNC",
            v4l2_pix_format_mplane::XFER_FUNC,
        ),
        ("v4l2_plane_pix_format", "SIZE", v4l2_plane_pix_format::SIZE),
        (
            "v4l2_plane_pix_format",
            "SIZEIMAGE",
            v4l2_plane_pix_format::SIZEIMAGE,
        ),
        (
            "v4l2_plane_pix_format",
            "BYTESPERLINE",
            v4l2_plane_pix_format::BYTESPERLINE,
        ),
        ("v4l2_requestbuffers", "SIZE", v4l2_requestbuffers::SIZE),
        ("v4l2_requestbuffers", "COUNT", v4l2_requestbuffers::COUNT),
        ("v4l2_requestbuffers", "TYPE", v4l2_requestbuffers::TYPE),
        ("v4l2_requestbuffers", "MEMORY", v4l2_requestbuffers::MEMORY),
        (
            "v4l2_requestbuffers",
            "CAPABILITIES",
            v4l2_requestbuffers::CAPABILITIES,
        ),
        ("v4l2_requestbuffers", "FLAGS", v4l2_requestbuffers::FLAGS),
        ("v4l2_buffer", "SIZE", v4l2_buffer::SIZE),
        ("v4l2_buffer", "INDEX", v4l2_buffer::INDEX),
        ("v4l2_buffer", "TYPE", v4l2_buffer::TYPE),
        ("v4l2_buffer", "BYTESUSED", v4l2_buffer::BYTESUSED),
        ("v4l2_buffer", "FLAGS", v4l2_buffer::FLAGS),
        ("v4l2_buffer", "FIELD", v4l2_buffer::FIELD),
        ("v4l2_buffer", "TIMESTAMP", v4l2_buffer::TIMESTAMP),
        ("v4l2_buffer", "TIMECODE", v4l2_buffer::TIMECODE),
        ("v4l2_buffer", "SEQUENCE", v4l2_buffer::SEQUENCE),
        ("v4l2_buffer", "MEMORY", v4l2_buffer::MEMORY),
        ("v4l2_buffer", "M", v4l2_buffer::M),
        ("v4l2_buffer", "LENGTH", v4l2_buffer::LENGTH),
        ("v4l2_buffer", "RESERVED2", v4l2_buffer::RESERVED2),
        ("v4l2_buffer", "REQUEST_FD", v4l2_buffer::REQUEST_FD),
        (
            "v4l2_buffer",
            "TIMESTAMP_TV_USEC",
            v4l2_buffer::TIMESTAMP_TV_USEC,
        ),
        ("v4l2_plane", "SIZE", v4l2_plane::SIZE),
        ("v4l2_plane", "BYTESUSED", v4l2_plane::BYTESUSED),
        ("v4l2_plane", "LENGTH", v4l2_plane::LENGTH),
        ("v4l2_plane", "M", v4l2_plane::M),
        ("v4l2_plane", "DATA_OFFSET", v4l2_plane::DATA_OFFSET),
        ("v4l2_plane", "RESERVED", v4l2_plane::RESERVED),
        ("v4l2_exportbuffer", "SIZE", v4l2_exportbuffer::SIZE),
        ("v4l2_exportbuffer", "TYPE", v4l2_exportbuffer::TYPE),
        ("v4l2_exportbuffer", "INDEX", v4l2_exportbuffer::INDEX),
        ("v4l2_exportbuffer", "PLANE", v4l2_exportbuffer::PLANE),
        ("v4l2_exportbuffer", "FLAGS", v4l2_exportbuffer::FLAGS),
        ("v4l2_exportbuffer", "FD", v4l2_exportbuffer::FD),
        ("v4l2_exportbuffer", "RESERVED", v4l2_exportbuffer::RESERVED),
        ("v4l2_control", "SIZE", v4l2_control::SIZE),
        ("v4l2_ext_controls", "SIZE", v4l2_ext_controls::SIZE),
        ("v4l2_ext_controls", "WHICH", v4l2_ext_controls::WHICH),
        ("v4l2_ext_controls", "COUNT", v4l2_ext_controls::COUNT),
        (
            "v4l2_ext_controls",
            "ERROR_IDX",
            v4l2_ext_controls::ERROR_IDX,
        ),
        (
            "v4l2_ext_controls",
            "REQUEST_FD",
            v4l2_ext_controls::REQUEST_FD,
        ),
        ("v4l2_ext_controls", "RESERVED", v4l2_ext_controls::RESERVED),
        ("v4l2_ext_controls", "CONTROLS", v4l2_ext_controls::CONTROLS),
        ("v4l2_ext_control", "SIZE", v4l2_ext_control::SIZE),
        ("v4l2_ext_control", "ID", v4l2_ext_control::ID),
        ("v4l2_ext_control", "SIZE_", v4l2_ext_control::SIZE_),
        ("v4l2_ext_control", "RESERVED2", v4l2_ext_control::RESERVED2),
        ("v4l2_ext_control", "VALUE", v4l2_ext_control::VALUE),
        ("v4l2_queryctrl", "SIZE", v4l2_queryctrl::SIZE),
        ("v4l2_queryctrl", "ID", v4l2_queryctrl::ID),
        ("v4l2_queryctrl", "TYPE", v4l2_queryctrl::TYPE),
        ("v4l2_queryctrl", "NAME", v4l2_queryctrl::NAME),
        ("v4l2_queryctrl", "MINIMUM", v4l2_queryctrl::MINIMUM),
        ("v4l2_queryctrl", "MAXIMUM", v4l2_queryctrl::MAXIMUM),
        ("v4l2_queryctrl", "STEP", v4l2_queryctrl::STEP),
        (
            "v4l2_queryctrl",
            "DEFAULT_VALUE",
            v4l2_queryctrl::DEFAULT_VALUE,
        ),
        ("v4l2_queryctrl", "FLAGS", v4l2_queryctrl::FLAGS),
        ("v4l2_queryctrl", "RESERVED", v4l2_queryctrl::RESERVED),
        ("v4l2_query_ext_ctrl", "SIZE", v4l2_query_ext_ctrl::SIZE),
        ("v4l2_query_ext_ctrl", "ID", v4l2_query_ext_ctrl::ID),
        ("v4l2_query_ext_ctrl", "TYPE", v4l2_query_ext_ctrl::TYPE),
        ("v4l2_query_ext_ctrl", "NAME", v4l2_query_ext_ctrl::NAME),
        (
            "v4l2_query_ext_ctrl",
            "MINIMUM",
            v4l2_query_ext_ctrl::MINIMUM,
        ),
        (
            "v4l2_query_ext_ctrl",
            "MAXIMUM",
            v4l2_query_ext_ctrl::MAXIMUM,
        ),
        ("v4l2_query_ext_ctrl", "STEP", v4l2_query_ext_ctrl::STEP),
        (
            "v4l2_query_ext_ctrl",
            "DEFAULT_VALUE",
            v4l2_query_ext_ctrl::DEFAULT_VALUE,
        ),
        ("v4l2_query_ext_ctrl", "FLAGS", v4l2_query_ext_ctrl::FLAGS),
        (
            "v4l2_query_ext_ctrl",
            "ELEM_SIZE",
            v4l2_query_ext_ctrl::ELEM_SIZE,
        ),
        ("v4l2_query_ext_ctrl", "ELEMS", v4l2_query_ext_ctrl::ELEMS),
        (
            "v4l2_query_ext_ctrl",
            "NR_OF_DIMS",
            v4l2_query_ext_ctrl::NR_OF_DIMS,
        ),
        ("v4l2_query_ext_ctrl", "DIMS", v4l2_query_ext_ctrl::DIMS),
        (
            "v4l2_query_ext_ctrl",
            "RESERVED",
            v4l2_query_ext_ctrl::RESERVED,
        ),
        ("v4l2_querymenu", "SIZE", v4l2_querymenu::SIZE),
        ("v4l2_querymenu", "ID", v4l2_querymenu::ID),
        ("v4l2_querymenu", "INDEX", v4l2_querymenu::INDEX),
        ("v4l2_querymenu", "NAME", v4l2_querymenu::NAME),
        ("v4l2_querymenu", "RESERVED", v4l2_querymenu::RESERVED),
        (
            "v4l2_event_subscription",
            "SIZE",
            v4l2_event_subscription::SIZE,
        ),
        (
            "v4l2_event_subscription",
            "TYPE",
            v4l2_event_subscription::TYPE,
        ),
        ("v4l2_event_subscription", "ID", v4l2_event_subscription::ID),
        (
            "v4l2_event_subscription",
            "FLAGS",
            v4l2_event_subscription::FLAGS,
        ),
        ("v4l2_event", "SIZE", v4l2_event::SIZE),
        ("v4l2_event", "TYPE", v4l2_event::TYPE),
        ("v4l2_event", "U", v4l2_event::U),
        ("v4l2_event", "PENDING", v4l2_event::PENDING),
        ("v4l2_event", "SEQUENCE", v4l2_event::SEQUENCE),
        ("v4l2_event", "TIMESTAMP", v4l2_event::TIMESTAMP),
        ("v4l2_event", "ID", v4l2_event::ID),
        (
            "v4l2_event",
            "TIMESTAMP_TV_NSEC",
            v4l2_event::TIMESTAMP_TV_NSEC,
        ),
        (
            "v4l2_event",
            "U_SRC_CHANGE_CHANGES",
            v4l2_event::U_SRC_CHANGE_CHANGES,
        ),
        ("v4l2_event", "U_CTRL_CHANGES", v4l2_event::U_CTRL_CHANGES),
        ("v4l2_event", "U_CTRL_TYPE", v4l2_event::U_CTRL_TYPE),
        ("v4l2_event", "U_CTRL_VALUE", v4l2_event::U_CTRL_VALUE),
        ("v4l2_event", "U_CTRL_FLAGS", v4l2_event::U_CTRL_FLAGS),
        ("v4l2_event", "U_CTRL_MINIMUM", v4l2_event::U_CTRL_MINIMUM),
        ("v4l2_event", "U_CTRL_MAXIMUM", v4l2_event::U_CTRL_MAXIMUM),
        ("v4l2_event", "U_CTRL_STEP", v4l2_event::U_CTRL_STEP),
        (
            "v4l2_event",
            "U_CTRL_DEFAULT_VALUE",
            v4l2_event::U_CTRL_DEFAULT_VALUE,
        ),
        ("v4l2_create_buffers", "SIZE", v4l2_create_buffers::SIZE),
        ("v4l2_create_buffers", "INDEX", v4l2_create_buffers::INDEX),
        ("v4l2_create_buffers", "COUNT", v4l2_create_buffers::COUNT),
        ("v4l2_create_buffers", "MEMORY", v4l2_create_buffers::MEMORY),
        ("v4l2_create_buffers", "FORMAT", v4l2_create_buffers::FORMAT),
        (
            "v4l2_create_buffers",
            "CAPABILITIES",
            v4l2_create_buffers::CAPABILITIES,
        ),
        ("v4l2_create_buffers", "FLAGS", v4l2_create_buffers::FLAGS),
        (
            "v4l2_create_buffers",
            "MAX_NUM_BUFFERS",
            v4l2_create_buffers::MAX_NUM_BUFFERS,
        ),
        ("v4l2_remove_buffers", "SIZE", v4l2_remove_buffers::SIZE),
        ("v4l2_remove_buffers", "INDEX", v4l2_remove_buffers::INDEX),
        ("v4l2_remove_buffers", "COUNT", v4l2_remove_buffers::COUNT),
        ("v4l2_remove_buffers", "TYPE", v4l2_remove_buffers::TYPE),
        (
            "v4l2_remove_buffers",
            "RESERVED",
            v4l2_remove_buffers::RESERVED,
        ),
        ("v4l2_decoder_cmd", "SIZE", v4l2_decoder_cmd::SIZE),
        ("v4l2_decoder_cmd", "CMD", v4l2_decoder_cmd::CMD),
        ("v4l2_decoder_cmd", "FLAGS", v4l2_decoder_cmd::FLAGS),
        ("v4l2_decoder_cmd", "RAW", v4l2_decoder_cmd::RAW),
        ("v4l2_decoder_cmd", "STOP_PTS", v4l2_decoder_cmd::STOP_PTS),
        (
            "v4l2_decoder_cmd",
            "START_SPEED",
            v4l2_decoder_cmd::START_SPEED,
        ),
        (
            "v4l2_decoder_cmd",
            "START_FORMAT",
            v4l2_decoder_cmd::START_FORMAT,
        ),
        ("v4l2_encoder_cmd", "SIZE", v4l2_encoder_cmd::SIZE),
        ("v4l2_frmsizeenum", "SIZE", v4l2_frmsizeenum::SIZE),
        ("v4l2_frmsizeenum", "INDEX", v4l2_frmsizeenum::INDEX),
        (
            "v4l2_frmsizeenum",
            "PIXEL_FORMAT",
            v4l2_frmsizeenum::PIXEL_FORMAT,
        ),
        ("v4l2_frmsizeenum", "TYPE", v4l2_frmsizeenum::TYPE),
        ("v4l2_frmsizeenum", "DISCRETE", v4l2_frmsizeenum::DISCRETE),
        ("v4l2_frmsizeenum", "STEPWISE", v4l2_frmsizeenum::STEPWISE),
        (
            "v4l2_frmsizeenum",
            "STEPWISE_MAX_WIDTH",
            v4l2_frmsizeenum::STEPWISE_MAX_WIDTH,
        ),
        (
            "v4l2_frmsizeenum",
            "STEPWISE_STEP_WIDTH",
            v4l2_frmsizeenum::STEPWISE_STEP_WIDTH,
        ),
        (
            "v4l2_frmsizeenum",
            "STEPWISE_MIN_HEIGHT",
            v4l2_frmsizeenum::STEPWISE_MIN_HEIGHT,
        ),
        (
            "v4l2_frmsizeenum",
            "STEPWISE_MAX_HEIGHT",
            v4l2_frmsizeenum::STEPWISE_MAX_HEIGHT,
        ),
        (
            "v4l2_frmsizeenum",
            "STEPWISE_STEP_HEIGHT",
            v4l2_frmsizeenum::STEPWISE_STEP_HEIGHT,
        ),
        ("v4l2_frmivalenum", "SIZE", v4l2_frmivalenum::SIZE),
        ("v4l2_streamparm", "SIZE", v4l2_streamparm::SIZE),
        ("v4l2_selection", "SIZE", v4l2_selection::SIZE),
        ("v4l2_selection", "TYPE", v4l2_selection::TYPE),
        ("v4l2_selection", "TARGET", v4l2_selection::TARGET),
        ("v4l2_selection", "FLAGS", v4l2_selection::FLAGS),
        ("v4l2_selection", "R", v4l2_selection::R),
        ("v4l2_selection", "R_LEFT", v4l2_selection::R_LEFT),
        ("v4l2_selection", "R_TOP", v4l2_selection::R_TOP),
        ("v4l2_selection", "R_WIDTH", v4l2_selection::R_WIDTH),
        ("v4l2_selection", "R_HEIGHT", v4l2_selection::R_HEIGHT),
        ("v4l2_timecode", "SIZE", v4l2_timecode::SIZE),
        ("media_device_info", "SIZE", media_device_info::SIZE),
        ("media_device_info", "DRIVER", media_device_info::DRIVER),
        ("media_device_info", "MODEL", media_device_info::MODEL),
        ("media_device_info", "SERIAL", media_device_info::SERIAL),
        ("media_device_info", "BUS_INFO", media_device_info::BUS_INFO),
        (
            "media_device_info",
            "MEDIA_VERSION",
            media_device_info::MEDIA_VERSION,
        ),
        (
            "media_device_info",
            "HW_REVISION",
            media_device_info::HW_REVISION,
        ),
        (
            "media_device_info",
            "DRIVER_VERSION",
            media_device_info::DRIVER_VERSION,
        ),
        ("media_entity_desc", "SIZE", media_entity_desc::SIZE),
        ("media_entity_desc", "TYPE", media_entity_desc::TYPE),
        ("media_entity_desc", "REVISION", media_entity_desc::REVISION),
        ("media_entity_desc", "FLAGS", media_entity_desc::FLAGS),
        ("media_entity_desc", "GROUP_ID", media_entity_desc::GROUP_ID),
        ("media_entity_desc", "PADS", media_entity_desc::PADS),
        ("media_entity_desc", "LINKS", media_entity_desc::LINKS),
        ("media_entity_desc", "DEV", media_entity_desc::DEV),
        ("media_links_enum", "SIZE", media_links_enum::SIZE),
        ("media_links_enum", "ENTITY", media_links_enum::ENTITY),
        ("media_links_enum", "PADS", media_links_enum::PADS),
        ("media_links_enum", "LINKS", media_links_enum::LINKS),
        ("media_link_desc", "SIZE", media_link_desc::SIZE),
        ("media_link_desc", "SOURCE", media_link_desc::SOURCE),
        ("media_link_desc", "SINK", media_link_desc::SINK),
        ("media_link_desc", "FLAGS", media_link_desc::FLAGS),
        ("media_v2_topology", "SIZE", media_v2_topology::SIZE),
        (
            "media_v2_topology",
            "TOPOLOGY_VERSION",
            media_v2_topology::TOPOLOGY_VERSION,
        ),
        (
            "media_v2_topology",
            "NUM_ENTITIES",
            media_v2_topology::NUM_ENTITIES,
        ),
        (
            "media_v2_topology",
            "PTR_ENTITIES",
            media_v2_topology::PTR_ENTITIES,
        ),
        (
            "media_v2_topology",
            "NUM_INTERFACES",
            media_v2_topology::NUM_INTERFACES,
        ),
        (
            "media_v2_topology",
            "PTR_INTERFACES",
            media_v2_topology::PTR_INTERFACES,
        ),
        ("media_v2_topology", "NUM_PADS", media_v2_topology::NUM_PADS),
        ("media_v2_topology", "PTR_PADS", media_v2_topology::PTR_PADS),
        (
            "media_v2_topology",
            "NUM_LINKS",
            media_v2_topology::NUM_LINKS,
        ),
        (
            "media_v2_topology",
            "PTR_LINKS",
            media_v2_topology::PTR_LINKS,
        ),
        ("media_v2_entity", "SIZE", media_v2_entity::SIZE),
        ("media_v2_entity", "ID", media_v2_entity::ID),
        ("media_v2_entity", "NAME", media_v2_entity::NAME),
        ("media_v2_entity", "FUNCTION", media_v2_entity::FUNCTION),
        ("media_v2_entity", "FLAGS", media_v2_entity::FLAGS),
        ("media_v2_interface", "SIZE", media_v2_interface::SIZE),
        ("media_v2_interface", "ID", media_v2_interface::ID),
        (
            "media_v2_interface",
            "INTF_TYPE",
            media_v2_interface::INTF_TYPE,
        ),
        ("media_v2_interface", "FLAGS", media_v2_interface::FLAGS),
        ("media_v2_interface", "DEVNODE", media_v2_interface::DEVNODE),
        ("media_v2_pad", "SIZE", media_v2_pad::SIZE),
        ("media_v2_pad", "ID", media_v2_pad::ID),
        ("media_v2_pad", "ENTITY_ID", media_v2_pad::ENTITY_ID),
        ("media_v2_pad", "FLAGS", media_v2_pad::FLAGS),
        ("media_v2_pad", "INDEX", media_v2_pad::INDEX),
        ("media_v2_link", "SIZE", media_v2_link::SIZE),
        ("media_v2_link", "ID", media_v2_link::ID),
        ("media_v2_link", "SOURCE_ID", media_v2_link::SOURCE_ID),
        ("media_v2_link", "SINK_ID", media_v2_link::SINK_ID),
        ("media_v2_link", "FLAGS", media_v2_link::FLAGS),
        ("dma_buf_sync", "SIZE", dma_buf_sync::SIZE),
        ("dma_buf_sync", "FLAGS", dma_buf_sync::FLAGS),
        (
            "dma_buf_export_sync_file",
            "SIZE",
            dma_buf_export_sync_file::SIZE,
        ),
        (
            "dma_buf_import_sync_file",
            "SIZE",
            dma_buf_import_sync_file::SIZE,
        ),
        ("media_pad_desc", "SIZE", media_pad_desc::SIZE),
        ("media_pad_desc", "ENTITY", media_pad_desc::ENTITY),
        ("media_pad_desc", "INDEX", media_pad_desc::INDEX),
        ("media_pad_desc", "FLAGS", media_pad_desc::FLAGS),
    ];

    fn gcc_value(key: &str) -> Option<usize> {
        GCC_OUTPUT.lines().find_map(|l| {
            let mut it = l.split_whitespace();
            let (kind, name, value) = (it.next()?, it.next()?, it.next()?);
            let normalised = match kind {
                "SIZE" => format!("{name}::SIZE"),
                "OFF" => {
                    let (s, f) = name.split_once('.')?;
                    let f = f.replace('.', "_").to_uppercase();
                    // A field called `size` would clash with the struct's SIZE.
                    if f == "SIZE" {
                        format!("{s}::SIZE_")
                    } else {
                        format!("{s}::{f}")
                    }
                }
                _ => return None,
            };
            (normalised == key).then(|| value.parse().ok()).flatten()
        })
    }

    #[test]
    fn every_constant_matches_gcc() {
        for (s, f, v) in CONSTANTS {
            let key = format!("{s}::{f}");
            assert_eq!(gcc_value(&key), Some(*v), "{key}");
        }
        let gcc_lines = GCC_OUTPUT.lines().filter(|l| !l.starts_with("IOC")).count();
        assert_eq!(
            gcc_lines,
            CONSTANTS.len(),
            "a struct field printed by layout.c has no constant"
        );
    }
}
