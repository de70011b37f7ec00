// A SOAP service built by the npm `soap` package from schema/forwarding/digicentral.wsdl: a SOAP
// stack no one here wrote. Prints {"port":N} once listening, then one JSON line per call it routed.
'use strict';
const fs = require('fs');
const http = require('http');
const soap = require('soap');

const wsdl = fs.readFileSync(process.argv[2], 'utf8');
const service = {
  Digicentral: {
    DigicentralSoap: {
      digicentralDataPacket(args, callback, headers, req) {
        console.log(JSON.stringify({ operation: 'digicentralDataPacket',
                                     soapAction: req.headers.soapaction, args }));
        return {};
      },
    },
  },
};
const server = http.createServer((req, res) => { res.statusCode = 404; res.end(); });
server.listen(0, '127.0.0.1', () => {
  soap.listen(server, '/datapacket/service.asmx', service, wsdl);
  console.log(JSON.stringify({ port: server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
