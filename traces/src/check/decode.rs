//! What the rules read from a record: the argument fields come from the pool model's accessors
//! ([`crate::pool::args`], through the ioctl catalogue's decoders), re-exported here under the
//! names the rules use; [`Facts`] decodes them once per record and looks up the context and
//! request in the model. Only the check-only constants and coded formats live here.

use crate::pool::args;
use crate::pool::{Context, CtxId, PoolModel, ReqId, Request};

pub use crate::pool::args::{
    create_bufs_passed as create_bufs, ext_ctrls_values as ext_ctrls, format_passed, fourcc,
    remove_bufs, BufArg as Buf, Ctrls, BUF_FLAG_ERROR, BUF_FLAG_REQUEST_FD, CTRL_WHICH_REQUEST_VAL,
    MEDIA_REQUEST_IOC_QUEUE, MEDIA_REQUEST_IOC_REINIT, VIDIOC_CREATE_BUFS, VIDIOC_DQBUF,
    VIDIOC_QBUF, VIDIOC_REMOVE_BUFS, VIDIOC_REQBUFS, VIDIOC_STREAMOFF, VIDIOC_STREAMON,
    VIDIOC_S_EXT_CTRLS, VIDIOC_S_FMT,
};

/// `V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF`.
pub const BUF_FLAG_HOLD_CAPTURE: u32 = 0x200;
/// errno values the rules name.
pub use crate::dump::{EAGAIN, EBUSY, ENOENT};

/// `(count, type)` of REQBUFS as asked.
pub fn reqbufs(io: &crate::record::Ioctl) -> Option<(u32, u32)> {
    args::reqbufs(io).map(|((count, t, _memory), _got)| (count, t))
}

/// What the rules read from one record, decoded once: the buffer of a QBUF (as passed) or DQBUF
/// (as returned), the controls of an S_EXT_CTRLS (as passed), and the context and request the
/// call is about, looked up once in the model before the record is applied (the ids stay valid
/// after it).
#[derive(Default)]
pub struct Facts {
    pub buf: Option<Buf>,
    pub ctrls: Option<Ctrls>,
    /// The context of the video fd a V4L2 call was issued on.
    pub ctx: Option<CtxId>,
    /// The request a request-fd call, a QBUF with `REQUEST_FD` or a request S_EXT_CTRLS names.
    pub req: Option<ReqId>,
}

impl Facts {
    /// Decodes what the rules need from `rec`, with `m` as it is before `rec` is applied.
    pub fn of(rec: &crate::record::Record, m: &PoolModel) -> Facts {
        let crate::record::Record::Ioctl(io) = rec else {
            return Facts::default();
        };
        let mut f = match io.request {
            VIDIOC_QBUF => Facts {
                buf: args::buffer_before(io),
                ..Facts::default()
            },
            VIDIOC_DQBUF => Facts {
                buf: args::buffer_after(io),
                ..Facts::default()
            },
            VIDIOC_S_EXT_CTRLS => Facts {
                ctrls: ext_ctrls(io),
                ..Facts::default()
            },
            _ => Facts::default(),
        };
        let req_fd = if is_video(io.request) {
            f.ctx = m.context_by_fd(io.pid, io.fd).map(|c| c.id);
            match (&f.buf, &f.ctrls) {
                (Some(b), _) if io.request == VIDIOC_QBUF && b.flags & BUF_FLAG_REQUEST_FD != 0 => {
                    Some(b.request_fd)
                }
                (_, Some(x)) if x.which == CTRL_WHICH_REQUEST_VAL => Some(x.request_fd),
                _ => None,
            }
        } else if is_request(io.request) {
            Some(io.fd)
        } else {
            None
        };
        f.req = req_fd
            .and_then(|fd| m.request_by_fd(io.pid, fd))
            .map(|r| r.id);
        f
    }

    /// The context, in `m`.
    pub fn ctx<'a>(&self, m: &'a PoolModel) -> Option<&'a Context> {
        m.context(self.ctx?)
    }

    /// The request, in `m`.
    pub fn req<'a>(&self, m: &'a PoolModel) -> Option<&'a Request> {
        m.request(self.req?)
    }
}

/// Whether a V4L2 ioctl request number is `V4L2` (type `'V'`).
pub fn is_video(request: u32) -> bool {
    args::ioc_type(request) == b'V'
}

/// Whether an ioctl request number is a request-fd call (`MEDIA_REQUEST_IOC_*`: type `'|'`,
/// number 0x80 and up).
pub fn is_request(request: u32) -> bool {
    args::ioc_type(request) == b'|' && args::ioc_nr(request) >= 0x80
}

/// `V4L2_PIX_FMT_*` codes of the coded (OUTPUT) formats of stateless decoders.
pub mod pix {
    use crate::ioctl::names::fourcc_code;
    pub const H264_SLICE: u32 = fourcc_code(b"S264");
    pub const HEVC_SLICE: u32 = fourcc_code(b"S265");
    pub const MPEG2_SLICE: u32 = fourcc_code(b"MG2S");
    pub const VP8_FRAME: u32 = fourcc_code(b"VP8F");
    pub const VP9_FRAME: u32 = fourcc_code(b"VP9F");
    pub const AV1_FRAME: u32 = fourcc_code(b"AV1F");
    pub const FWHT_STATELESS: u32 = fourcc_code(b"SFWH");
    pub const NV12: u32 = fourcc_code(b"NV12");
    pub const YUV420: u32 = fourcc_code(b"YU12");
    pub const NV12_32L32: u32 = fourcc_code(b"ST12");
}
