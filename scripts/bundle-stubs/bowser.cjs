// The Lambda bundle's stand-in for bowser, a browser user-agent parser that @aws-sdk/core imports
// only in a browser (util-user-agent-browser): on Node.js it is never loaded, so it is left out.
module.exports = {
  parse() {
    throw new Error('bowser is left out of the Lambda bundle: it only parses browser user agents');
  },
};
