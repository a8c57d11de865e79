package sparse

// realSHA256 is the sha256 of simg2img's output for the real sample.
const realSHA256 = "11863f39512c710d0a640d06582a08858e5e0c557a8327a6eb1d07d2fd3baf82"
