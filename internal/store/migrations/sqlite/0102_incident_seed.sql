-- The national deadlines (Decision 05/2017, Circular 20/2017) and the
-- province's per-severity response targets, as data that admins edit.
INSERT INTO incident_deadline_rules (code, name_vi, name_en, severity, start_event, end_event, minutes, legal, active, updated_at) VALUES
('report', 'Báo cáo sự cố trong 5 ngày kể từ khi phát hiện', 'Report within 5 days of detection', '', 'detected', 'reported', 7200, TRUE, TRUE, CURRENT_TIMESTAMP),
('closing_report', 'Báo cáo kết thúc ứng phó trong 5 ngày sau khi kết thúc ứng phó', 'Closing report within 5 days after the response ends', '', 'resolved', 'closing_report', 7200, TRUE, TRUE, CURRENT_TIMESTAMP),
('ack_critical', 'Xác nhận tiếp nhận sự cố khẩn cấp trong 1 giờ', 'Acknowledge a critical incident within 1 hour', 'critical', 'reported', 'acknowledged', 60, FALSE, TRUE, CURRENT_TIMESTAMP),
('ack_high', 'Xác nhận tiếp nhận sự cố mức cao trong 4 giờ', 'Acknowledge a high incident within 4 hours', 'high', 'reported', 'acknowledged', 240, FALSE, TRUE, CURRENT_TIMESTAMP),
('ack_medium', 'Xác nhận tiếp nhận sự cố mức trung bình trong 24 giờ', 'Acknowledge a medium incident within 24 hours', 'medium', 'reported', 'acknowledged', 1440, FALSE, TRUE, CURRENT_TIMESTAMP),
('ack_low', 'Xác nhận tiếp nhận sự cố mức thấp trong 3 ngày', 'Acknowledge a low incident within 3 days', 'low', 'reported', 'acknowledged', 4320, FALSE, TRUE, CURRENT_TIMESTAMP),
('contain_critical', 'Ngăn chặn sự cố khẩn cấp trong 24 giờ sau khi tiếp nhận', 'Contain a critical incident within 24 hours of acknowledgement', 'critical', 'acknowledged', 'contained', 1440, FALSE, TRUE, CURRENT_TIMESTAMP),
('contain_high', 'Ngăn chặn sự cố mức cao trong 3 ngày sau khi tiếp nhận', 'Contain a high incident within 3 days of acknowledgement', 'high', 'acknowledged', 'contained', 4320, FALSE, TRUE, CURRENT_TIMESTAMP);

-- Playbooks: templates per incident type that pre-create tasks (assigned
-- to the lead or the owner agency) and a checklist.
INSERT INTO incident_playbooks (code, name_vi, name_en, category, severity, description, tasks, checklist, active, updated_at) VALUES
('defacement', 'Tấn công thay đổi giao diện trang web', 'Website defacement', 'information-content-security/unauthorised-information-modification', 'high',
 'Trang thông tin điện tử bị thay đổi giao diện: cô lập, thu thập chứng cứ, khôi phục từ bản sao lưu sạch, vá lỗ hổng.',
 '[{"title":"Cô lập máy chủ web, thay trang bảo trì","agency":"owner","due_hours":2},{"title":"Thu thập nhật ký web và ảnh chụp trang bị thay đổi","agency":"owner","due_hours":4},{"title":"Phân tích phương thức xâm nhập, tìm web shell","agency":"lead","due_hours":24},{"title":"Khôi phục từ bản sao lưu sạch và vá lỗ hổng","agency":"owner","due_hours":48}]',
 '["Chụp ảnh màn hình trang bị thay đổi","Lưu nhật ký truy cập ít nhất 30 ngày","Đổi mật khẩu quản trị CMS và máy chủ","Quét web shell trên toàn bộ thư mục web","Kiểm tra lại sau khôi phục"]', TRUE, CURRENT_TIMESTAMP),
('ransomware', 'Mã độc mã hóa tống tiền', 'Ransomware', 'malicious-code/infected-system', 'critical',
 'Mã độc mã hóa dữ liệu: ngắt kết nối mạng các máy bị nhiễm, không trả tiền chuộc, khôi phục từ sao lưu ngoại tuyến.',
 '[{"title":"Ngắt kết nối mạng các máy bị nhiễm","agency":"owner","due_hours":1},{"title":"Xác định biến thể mã độc và điểm xâm nhập ban đầu","agency":"lead","due_hours":24},{"title":"Kiểm tra bản sao lưu ngoại tuyến","agency":"owner","due_hours":12},{"title":"Khôi phục hệ thống và theo dõi tái nhiễm","agency":"owner","due_hours":72}]',
 '["Không tắt nguồn máy bị nhiễm trước khi thu thập bộ nhớ","Lưu mẫu tệp bị mã hóa và thư đòi tiền chuộc","Thu hồi tài khoản quản trị bị lộ","Báo cáo cơ quan công an"]', TRUE, CURRENT_TIMESTAMP),
('phishing', 'Chiến dịch lừa đảo trực tuyến (phishing)', 'Phishing campaign', 'fraud/phishing', 'medium',
 'Thư hoặc trang web giả mạo nhằm đánh cắp tài khoản: chặn tên miền, thu hồi thư, cảnh báo người dùng.',
 '[{"title":"Thu thập thư mẫu, tiêu đề và đường dẫn giả mạo","agency":"owner","due_hours":4},{"title":"Đề nghị chặn tên miền, địa chỉ giả mạo","agency":"lead","due_hours":8},{"title":"Cảnh báo cán bộ, đổi mật khẩu tài khoản bị lộ","agency":"owner","due_hours":24}]',
 '["Lưu thư gốc (.eml) làm chứng cứ","Ghi nhận tên miền, URL, địa chỉ gửi","Tìm người đã nhập thông tin"]', TRUE, CURRENT_TIMESTAMP),
('ddos', 'Tấn công từ chối dịch vụ phân tán (DDoS)', 'DDoS attack', 'availability/ddos', 'high',
 'Hệ thống bị tấn công từ chối dịch vụ: phối hợp nhà mạng lọc lưu lượng, bật chống DDoS.',
 '[{"title":"Xác định loại và nguồn lưu lượng tấn công","agency":"owner","due_hours":2},{"title":"Phối hợp doanh nghiệp viễn thông lọc lưu lượng","agency":"lead","due_hours":4},{"title":"Theo dõi và báo cáo diễn biến","agency":"owner","due_hours":24}]',
 '["Lưu số liệu lưu lượng (pps, bps) theo thời gian","Ghi nhận địa chỉ nguồn nổi bật","Kiểm tra dịch vụ sau khi hết tấn công"]', TRUE, CURRENT_TIMESTAMP),
('data-leak', 'Lộ, lọt dữ liệu', 'Data leak', 'information-content-security/data-leak', 'high',
 'Dữ liệu bị lộ hoặc rao bán: xác định phạm vi, nguồn lộ, thông báo theo quy định về bảo vệ dữ liệu cá nhân.',
 '[{"title":"Xác định dữ liệu bị lộ và phạm vi ảnh hưởng","agency":"owner","due_hours":24},{"title":"Tìm nguồn lộ lọt và ngăn chặn","agency":"lead","due_hours":48},{"title":"Thông báo vi phạm dữ liệu cá nhân trong 72 giờ","agency":"owner","due_hours":72}]',
 '["Lưu bằng chứng nơi dữ liệu bị đăng tải","Đánh giá dữ liệu cá nhân nhạy cảm","Đổi khóa, mật khẩu liên quan"]', TRUE, CURRENT_TIMESTAMP),
('account-compromise', 'Tài khoản bị chiếm quyền', 'Compromised account', 'intrusions/unprivileged-account-compromise', 'medium',
 'Tài khoản thư điện tử hoặc hệ thống bị chiếm: khóa, đổi mật khẩu, bật xác thực hai yếu tố, rà soát hoạt động.',
 '[{"title":"Khóa tài khoản và đổi mật khẩu","agency":"owner","due_hours":1},{"title":"Rà soát nhật ký đăng nhập và hoạt động bất thường","agency":"owner","due_hours":24},{"title":"Bật xác thực hai yếu tố","agency":"owner","due_hours":48}]',
 '["Thu thập nhật ký đăng nhập","Kiểm tra quy tắc chuyển tiếp thư","Thông báo người liên quan"]', TRUE, CURRENT_TIMESTAMP);
