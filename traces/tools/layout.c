/* Prints the sizes, field offsets and ioctl numbers that traces/src/ioctl/layout.rs hard-codes.
 * Run by hand when the uapi headers change (the tests never need gcc):
 *   gcc -I .cache/kernel-headers/include traces/tools/layout.c -o /tmp/layout && /tmp/layout
 * The numbers in layout.rs's tests come from this program against the 6.12 headers on x86_64
 * (arm64 has the same LP64 layout and the same _IOC encoding). */
#include <stdio.h>
#include <stddef.h>
#include <linux/videodev2.h>
#include <linux/media.h>
#include <linux/dma-buf.h>
#define S(t) printf("SIZE %s %zu\n", #t, sizeof(struct t));
#define O(t,f) printf("OFF %s.%s %zu\n", #t, #f, offsetof(struct t, f));
#define I(n) printf("IOC %s 0x%08x\n", #n, (unsigned)(n));
int main(void){
S(v4l2_capability) S(v4l2_fmtdesc) S(v4l2_format) S(v4l2_pix_format) S(v4l2_pix_format_mplane) S(v4l2_plane_pix_format)
S(v4l2_requestbuffers) S(v4l2_buffer) S(v4l2_plane) S(v4l2_exportbuffer) S(v4l2_control) S(v4l2_ext_controls) S(v4l2_ext_control)
S(v4l2_queryctrl) S(v4l2_query_ext_ctrl) S(v4l2_querymenu) S(v4l2_event_subscription) S(v4l2_event) S(v4l2_create_buffers)
S(v4l2_remove_buffers) S(v4l2_decoder_cmd) S(v4l2_encoder_cmd) S(v4l2_frmsizeenum) S(v4l2_frmivalenum) S(v4l2_streamparm) S(v4l2_selection) S(v4l2_timecode)
S(media_device_info) S(media_entity_desc) S(media_links_enum) S(media_link_desc) S(media_v2_topology) S(media_v2_entity) S(media_v2_interface) S(media_v2_pad) S(media_v2_link)
S(dma_buf_sync) S(dma_buf_export_sync_file) S(dma_buf_import_sync_file)
O(v4l2_capability,driver) O(v4l2_capability,card) O(v4l2_capability,bus_info) O(v4l2_capability,version) O(v4l2_capability,capabilities) O(v4l2_capability,device_caps)
O(v4l2_fmtdesc,index) O(v4l2_fmtdesc,type) O(v4l2_fmtdesc,flags) O(v4l2_fmtdesc,description) O(v4l2_fmtdesc,pixelformat) O(v4l2_fmtdesc,mbus_code)
O(v4l2_format,type) O(v4l2_format,fmt)
O(v4l2_pix_format,width) O(v4l2_pix_format,height) O(v4l2_pix_format,pixelformat) O(v4l2_pix_format,field) O(v4l2_pix_format,bytesperline) O(v4l2_pix_format,sizeimage) O(v4l2_pix_format,colorspace) O(v4l2_pix_format,priv) O(v4l2_pix_format,flags) O(v4l2_pix_format,ycbcr_enc) O(v4l2_pix_format,quantization) O(v4l2_pix_format,xfer_func)
O(v4l2_pix_format_mplane,width) O(v4l2_pix_format_mplane,height) O(v4l2_pix_format_mplane,pixelformat) O(v4l2_pix_format_mplane,field) O(v4l2_pix_format_mplane,colorspace) O(v4l2_pix_format_mplane,plane_fmt) O(v4l2_pix_format_mplane,num_planes) O(v4l2_pix_format_mplane,flags) O(v4l2_pix_format_mplane,ycbcr_enc) O(v4l2_pix_format_mplane,quantization) O(v4l2_pix_format_mplane,xfer_func)
O(v4l2_plane_pix_format,sizeimage) O(v4l2_plane_pix_format,bytesperline)
O(v4l2_requestbuffers,count) O(v4l2_requestbuffers,type) O(v4l2_requestbuffers,memory) O(v4l2_requestbuffers,capabilities) O(v4l2_requestbuffers,flags)
O(v4l2_buffer,index) O(v4l2_buffer,type) O(v4l2_buffer,bytesused) O(v4l2_buffer,flags) O(v4l2_buffer,field) O(v4l2_buffer,timestamp) O(v4l2_buffer,timecode) O(v4l2_buffer,sequence) O(v4l2_buffer,memory) O(v4l2_buffer,m) O(v4l2_buffer,length) O(v4l2_buffer,reserved2) O(v4l2_buffer,request_fd)
O(v4l2_plane,bytesused) O(v4l2_plane,length) O(v4l2_plane,m) O(v4l2_plane,data_offset) O(v4l2_plane,reserved)
O(v4l2_exportbuffer,type) O(v4l2_exportbuffer,index) O(v4l2_exportbuffer,plane) O(v4l2_exportbuffer,flags) O(v4l2_exportbuffer,fd)
O(v4l2_ext_controls,which) O(v4l2_ext_controls,count) O(v4l2_ext_controls,error_idx) O(v4l2_ext_controls,request_fd) O(v4l2_ext_controls,reserved) O(v4l2_ext_controls,controls)
O(v4l2_ext_control,id) O(v4l2_ext_control,size) O(v4l2_ext_control,reserved2) O(v4l2_ext_control,value)
O(v4l2_queryctrl,id) O(v4l2_queryctrl,type) O(v4l2_queryctrl,name) O(v4l2_queryctrl,minimum) O(v4l2_queryctrl,maximum) O(v4l2_queryctrl,step) O(v4l2_queryctrl,default_value) O(v4l2_queryctrl,flags)
O(v4l2_query_ext_ctrl,id) O(v4l2_query_ext_ctrl,type) O(v4l2_query_ext_ctrl,name) O(v4l2_query_ext_ctrl,minimum) O(v4l2_query_ext_ctrl,maximum) O(v4l2_query_ext_ctrl,step) O(v4l2_query_ext_ctrl,default_value) O(v4l2_query_ext_ctrl,flags) O(v4l2_query_ext_ctrl,elem_size) O(v4l2_query_ext_ctrl,elems) O(v4l2_query_ext_ctrl,nr_of_dims) O(v4l2_query_ext_ctrl,dims)
O(v4l2_querymenu,id) O(v4l2_querymenu,index) O(v4l2_querymenu,name) O(v4l2_querymenu,reserved)
O(v4l2_event_subscription,type) O(v4l2_event_subscription,id) O(v4l2_event_subscription,flags)
O(v4l2_event,type) O(v4l2_event,u) O(v4l2_event,pending) O(v4l2_event,sequence) O(v4l2_event,timestamp) O(v4l2_event,id)
O(v4l2_create_buffers,index) O(v4l2_create_buffers,count) O(v4l2_create_buffers,memory) O(v4l2_create_buffers,format) O(v4l2_create_buffers,capabilities) O(v4l2_create_buffers,flags) O(v4l2_create_buffers,max_num_buffers)
O(v4l2_remove_buffers,index) O(v4l2_remove_buffers,count) O(v4l2_remove_buffers,type)
O(v4l2_decoder_cmd,cmd) O(v4l2_decoder_cmd,flags) O(v4l2_decoder_cmd,raw)
O(v4l2_frmsizeenum,index) O(v4l2_frmsizeenum,pixel_format) O(v4l2_frmsizeenum,type) O(v4l2_frmsizeenum,discrete) O(v4l2_frmsizeenum,stepwise)
O(v4l2_selection,type) O(v4l2_selection,target) O(v4l2_selection,flags) O(v4l2_selection,r)
O(media_device_info,driver) O(media_device_info,model) O(media_device_info,serial) O(media_device_info,bus_info) O(media_device_info,media_version) O(media_device_info,hw_revision) O(media_device_info,driver_version)
O(media_v2_topology,topology_version) O(media_v2_topology,num_entities) O(media_v2_topology,ptr_entities) O(media_v2_topology,num_interfaces) O(media_v2_topology,ptr_interfaces) O(media_v2_topology,num_pads) O(media_v2_topology,ptr_pads) O(media_v2_topology,num_links) O(media_v2_topology,ptr_links)
O(media_v2_entity,id) O(media_v2_entity,name) O(media_v2_entity,function) O(media_v2_entity,flags)
O(media_v2_interface,id) O(media_v2_interface,intf_type) O(media_v2_interface,flags) O(media_v2_interface,devnode)
O(media_v2_pad,id) O(media_v2_pad,entity_id) O(media_v2_pad,flags) O(media_v2_pad,index)
O(media_v2_link,id) O(media_v2_link,source_id) O(media_v2_link,sink_id) O(media_v2_link,flags)
O(dma_buf_sync,flags)
O(media_entity_desc,type) O(media_entity_desc,revision) O(media_entity_desc,flags) O(media_entity_desc,group_id) O(media_entity_desc,pads) O(media_entity_desc,links) O(media_entity_desc,dev)
O(media_links_enum,entity) O(media_links_enum,pads) O(media_links_enum,links)
S(media_pad_desc) O(media_link_desc,source) O(media_link_desc,sink) O(media_link_desc,flags)
O(media_pad_desc,entity) O(media_pad_desc,index) O(media_pad_desc,flags)
O(v4l2_buffer,timestamp.tv_usec) O(v4l2_event,timestamp.tv_nsec) O(v4l2_event,u.src_change.changes)
O(v4l2_event,u.ctrl.changes) O(v4l2_event,u.ctrl.type) O(v4l2_event,u.ctrl.value) O(v4l2_event,u.ctrl.flags) O(v4l2_event,u.ctrl.minimum) O(v4l2_event,u.ctrl.maximum) O(v4l2_event,u.ctrl.step) O(v4l2_event,u.ctrl.default_value)
O(v4l2_decoder_cmd,stop.pts) O(v4l2_decoder_cmd,start.speed) O(v4l2_decoder_cmd,start.format)
O(v4l2_frmsizeenum,stepwise.max_width) O(v4l2_frmsizeenum,stepwise.step_width) O(v4l2_frmsizeenum,stepwise.min_height) O(v4l2_frmsizeenum,stepwise.max_height) O(v4l2_frmsizeenum,stepwise.step_height)
O(v4l2_selection,r.left) O(v4l2_selection,r.top) O(v4l2_selection,r.width) O(v4l2_selection,r.height)
O(v4l2_exportbuffer,reserved) O(v4l2_remove_buffers,reserved)
O(v4l2_query_ext_ctrl,reserved) O(v4l2_queryctrl,reserved)
I(VIDIOC_QUERYCAP) I(VIDIOC_ENUM_FMT) I(VIDIOC_G_FMT) I(VIDIOC_S_FMT) I(VIDIOC_REQBUFS) I(VIDIOC_QUERYBUF) I(VIDIOC_QBUF) I(VIDIOC_EXPBUF) I(VIDIOC_DQBUF) I(VIDIOC_STREAMON) I(VIDIOC_STREAMOFF)
I(VIDIOC_G_PARM) I(VIDIOC_S_PARM) I(VIDIOC_G_CTRL) I(VIDIOC_S_CTRL) I(VIDIOC_QUERYCTRL) I(VIDIOC_QUERYMENU) I(VIDIOC_G_INPUT) I(VIDIOC_S_INPUT) I(VIDIOC_TRY_FMT) I(VIDIOC_LOG_STATUS)
I(VIDIOC_G_EXT_CTRLS) I(VIDIOC_S_EXT_CTRLS) I(VIDIOC_TRY_EXT_CTRLS) I(VIDIOC_ENUM_FRAMESIZES) I(VIDIOC_ENUM_FRAMEINTERVALS) I(VIDIOC_ENCODER_CMD) I(VIDIOC_TRY_ENCODER_CMD)
I(VIDIOC_DQEVENT) I(VIDIOC_SUBSCRIBE_EVENT) I(VIDIOC_UNSUBSCRIBE_EVENT) I(VIDIOC_CREATE_BUFS) I(VIDIOC_PREPARE_BUF) I(VIDIOC_G_SELECTION) I(VIDIOC_S_SELECTION)
I(VIDIOC_DECODER_CMD) I(VIDIOC_TRY_DECODER_CMD) I(VIDIOC_QUERY_EXT_CTRL) I(VIDIOC_REMOVE_BUFS) I(VIDIOC_G_PRIORITY) I(VIDIOC_S_PRIORITY)
I(MEDIA_IOC_DEVICE_INFO) I(MEDIA_IOC_ENUM_ENTITIES) I(MEDIA_IOC_ENUM_LINKS) I(MEDIA_IOC_SETUP_LINK) I(MEDIA_IOC_G_TOPOLOGY) I(MEDIA_IOC_REQUEST_ALLOC) I(MEDIA_REQUEST_IOC_QUEUE) I(MEDIA_REQUEST_IOC_REINIT)
I(DMA_BUF_IOCTL_SYNC) I(DMA_BUF_SET_NAME_A) I(DMA_BUF_SET_NAME_B) I(DMA_BUF_IOCTL_EXPORT_SYNC_FILE) I(DMA_BUF_IOCTL_IMPORT_SYNC_FILE)
return 0;}
