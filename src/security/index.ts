// The security plugin is built in its own issue; this entry exports what exists so far.
export {}
