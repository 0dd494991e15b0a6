//! The control payload structs `crate::controls` mirrors, with their sizes and field offsets as
//! the mirrors compute them, for the one layout check (`crate::layout_check`).

use super::wire::Wire;

pub(crate) struct Layout {
    pub(crate) c_name: &'static str,
    pub(crate) size: usize,
    pub(crate) offsets: Vec<(&'static str, usize)>,
}

macro_rules! layouts {
    ($($t:ty),* $(,)?) => {
        vec![$(Layout { c_name: <$t>::C_NAME, size: <$t as Wire>::SIZE, offsets: <$t>::offsets() }),*]
    };
}

/// Every mirrored struct.
pub(crate) fn all() -> Vec<Layout> {
    use super::av1::*;
    use super::fwht::*;
    use super::h264::*;
    use super::hevc::*;
    use super::mpeg2::*;
    use super::vp8::*;
    use super::vp9::*;
    layouts![
        H264Sps,
        H264Pps,
        H264ScalingMatrix,
        H264WeightFactors,
        H264PredWeights,
        H264Reference,
        H264SliceParams,
        H264DpbEntry,
        H264DecodeParams,
        Mpeg2Sequence,
        Mpeg2Picture,
        Mpeg2Quantisation,
        Vp8Segment,
        Vp8LoopFilter,
        Vp8Quantization,
        Vp8Entropy,
        Vp8EntropyCoderState,
        Vp8Frame,
        FwhtParams,
        Vp9LoopFilter,
        Vp9Quantization,
        Vp9Segmentation,
        Vp9Frame,
        Vp9MvProbs,
        Vp9CompressedHdr,
        HevcSps,
        HevcPps,
        HevcDpbEntry,
        HevcPredWeightTable,
        HevcSliceParams,
        HevcDecodeParams,
        HevcScalingMatrix,
        Hdr10CllInfo,
        Hdr10MasteringDisplay,
        Av1Sequence,
        Av1TileGroupEntry,
        Av1GlobalMotion,
        Av1LoopRestoration,
        Av1Cdef,
        Av1Segmentation,
        Av1LoopFilter,
        Av1Quantization,
        Av1TileInfo,
        Av1Frame,
        Av1FilmGrain,
    ]
}
